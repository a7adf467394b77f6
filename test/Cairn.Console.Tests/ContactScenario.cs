using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Console.Tests;

/// <summary>Contacts the contact, message and hand-off tests create for themselves, through the ingestion API.</summary>
internal static class ContactScenario
{
    /// <summary>A user id no other test uses.</summary>
    public static string NewUserId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Identifies <paramref name="userId"/> with traits (POST /v1/identify) and waits until the engine has taken it in.</summary>
    public static async Task IdentifyAsync(this ConsoleServer server, string userId, object traits)
    {
        using var response = await server.Ingest.PostAsJsonAsync("/v1/identify", new { userId, traits });
        response.EnsureSuccessStatusCode();
        await server.Services.GetRequiredService<CairnEngine>().WhenIdleAsync(CancellationToken.None);
    }

    /// <summary>The contact id of a user id.</summary>
    public static async Task<string> ContactIdAsync(this ConsoleServer server, string userId) =>
        (await server.GetJsonAsync($"/api/contacts/lookup?userId={Uri.EscapeDataString(userId)}")).GetProperty("id").GetString()!;

    /// <summary>The contact's messages (newest first).</summary>
    public static async Task<List<JsonElement>> MessagesAsync(this ConsoleServer server, string contactId) =>
        [.. (await server.GetJsonAsync($"/api/messages?contactId={Uri.EscapeDataString(contactId)}")).GetProperty("items").EnumerateArray()];
}
