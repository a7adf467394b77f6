using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Http.Access;

/// <summary>
/// The data-protection key ring (which encrypts the console's session and antiforgery cookies) kept in the store's
/// <c>protection_keys</c> table, so sessions survive a restart and every node of a cluster decrypts the same cookies.
/// The elements are stored as the key manager writes them: unencrypted, like the rest of the database.
/// </summary>
/// <remarks>
/// <see cref="IXmlRepository"/> is synchronous; the key manager calls it rarely (at start, when a key is created,
/// when a cookie names an unknown key, and about once a day), so it waits for the store here.
/// </remarks>
internal sealed class StoredProtectionKeys(ISettingsStore store, TimeProvider time) : IXmlRepository
{
    /// <inheritdoc />
    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. store.GetProtectionKeysAsync(CancellationToken.None).GetAwaiter().GetResult().Select(xml => XElement.Parse(xml))];

    /// <inheritdoc />
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        store.AddProtectionKeyAsync(name, element.ToString(SaveOptions.DisableFormatting), time.GetUtcNow(), CancellationToken.None).GetAwaiter().GetResult();
    }
}

/// <summary>Where the data-protection key ring is kept.</summary>
public static class ProtectionKeyStorage
{
    /// <summary>
    /// Keeps the key ring in the registered store (<see cref="ISettingsStore"/>) instead of the file system: for
    /// PostgreSQL, where the servers share the database and may share no disk.
    /// </summary>
    public static IDataProtectionBuilder PersistKeysToStore(this IDataProtectionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new StoredProtectionKeys(services.GetRequiredService<ISettingsStore>(), services.GetRequiredService<TimeProvider>())));
        return builder;
    }
}
