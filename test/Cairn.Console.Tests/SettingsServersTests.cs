using Cairn.Runtime;
using Cairn.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cairn.Console.Tests;

/// <summary>Settings › Servers: the server that answered, the servers writing the database and each partition's owner.</summary>
public sealed class SettingsServersTests(ConsoleServer server)
{
    [Fact]
    public async Task AnAdmin_SeesThisServerReady_OwningEveryPartition_WithItsQueues()
    {
        var engine = server.Services.GetRequiredService<CairnEngine>();
        var page = await server.SignedInAsync(UserRole.Admin, "/settings/servers");

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"This server, {engine.NodeId} on SQLite, is ready.");
        var servers = page.GetByRole(AriaRole.Region, new() { Name = "Servers", Exact = true });
        await Expect(servers.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Expect(servers).ToContainTextAsync($"{engine.NodeId} (this server)");
        await Expect(servers).ToContainTextAsync(engine.Partitions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var partitions = page.GetByRole(AriaRole.Region, new() { Name = "Partitions", Exact = true });
        await Expect(partitions.GetByRole(AriaRole.Row)).ToHaveCountAsync(engine.Partitions.Count + 1);
        await Expect(partitions.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync(engine.NodeId);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-servers");
    }

    [Fact]
    public async Task AViewer_ReadsTheServers_AtPhoneWidth()
    {
        var page = await server.SignedInAsync(UserRole.Viewer, "/settings/servers", phone: true);
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Partitions", Exact = true })).ToContainTextAsync("epoch 1, taken");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is ready");
        await Accessibility.AssertAccessibleAsync(page);
        await ConsoleServer.ScreenshotAsync(page, "settings-servers-phone");
    }
}
