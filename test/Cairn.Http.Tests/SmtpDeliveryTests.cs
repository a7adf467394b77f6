using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Messaging;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Cairn.Http.Tests;

/// <summary>
/// Email to a real SMTP server (the smtp-server npm package on loopback), parsed with a real MIME parser: the
/// RFC 8058 headers, both parts, the tracked links, a DKIM signature that an independent verifier (mailauth) accepts,
/// a 550 at send time recorded as a hard bounce, a 451 retried with backoff.
/// </summary>
public sealed class SmtpDeliveryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private readonly RSA _dkimKey = RSA.Create(2048);
    private SmtpSink _sink = null!;
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sink = await SmtpSink.StartAsync();
        _cairn = await TestCairn.StartAsync(time: _time, messaging: options =>
        {
            options.Smtp.Host = "127.0.0.1";
            options.WorkspaceAddress = "Cairn Labs, 12 Rue Oberkampf, 75011 Paris";
            options.Smtp.Port = _sink.Port;
            options.Smtp.Security = SmtpSecurity.None;
            options.FromAddress = "shop@mail.cairn.test";
            options.FromName = "Cairn Shop";
            options.Dkim.Domain = "mail.cairn.test";
            options.Dkim.Selector = "s2026";
            options.Dkim.PrivateKey = _dkimKey.ExportRSAPrivateKeyPem();
        });
        await _cairn.PutDocumentAsync("templates/cart-email", EmailDeliveryTests.Template);
        await _cairn.PutDocumentAsync("journeys/cart", EmailDeliveryTests.Journey);
        using var published = await _cairn.Admin.PostAsync("/api/journeys/cart/publish", null, Cancel);
        Assert.True(published.IsSuccessStatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        await _sink.DisposeAsync();
        _dkimKey.Dispose();
    }

    [Fact]
    public async Task EmailArrivesAtARealSmtpServer_SignedWithDkimThatVerifiesIndependently()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","first_name":"Ann"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"cart_abandoned","properties":{"cart_value":120}}""");
        await _cairn.DeliverAsync();

        var email = Assert.Single(await _sink.WaitForAsync(1));
        Assert.Equal("\"Cairn Shop\" <shop@mail.cairn.test>", email.From.ToString());
        Assert.Equal("Ann, your cart is waiting", email.Subject);
        Assert.EndsWith("@mail.cairn.test", email.MessageId, StringComparison.Ordinal);
        Assert.Contains("/u/", email.Headers[HeaderId.ListUnsubscribe], StringComparison.Ordinal);
        Assert.Contains("mailto:unsubscribe@mail.cairn.test", email.Headers[HeaderId.ListUnsubscribe], StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", email.Headers[HeaderId.ListUnsubscribePost]);
        Assert.Contains("Back to cart (https://shop.example/cart?id=1&x=2)", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("/t/c/", email.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("/t/o/", email.HtmlBody, StringComparison.Ordinal);

        var signature = email.Headers[HeaderId.DkimSignature];
        Assert.Contains("c=relaxed/relaxed", signature, StringComparison.Ordinal);
        Assert.Contains("d=mail.cairn.test", signature, StringComparison.Ordinal);
        var publicKey = Convert.ToBase64String(_dkimKey.ExportSubjectPublicKeyInfo());
        var (code, output) = await ProcessRunner.RunAsync("node", ["dkim-verify.mjs", _sink.Files[0], "s2026", "mail.cairn.test", publicKey], Path.Combine(Repository.Root, "test", "node"), cancellationToken: Cancel);
        Assert.True(code == 0, output);
        var result = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal(("pass", "mail.cairn.test", "relaxed/relaxed"), (result.GetProperty("status").GetString(), result.GetProperty("domain").GetString(), result.GetProperty("canonicalization").GetString()));

        // The same check fails for a message changed in transit: the verifier is not a rubber stamp.
        var tampered = Path.Combine(Path.GetTempPath(), $"tampered-{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(tampered, (await File.ReadAllTextAsync(_sink.Files[0], Cancel)).Replace("you left items worth 120", "you left items worth 999", StringComparison.Ordinal), Cancel);
        (_, output) = await ProcessRunner.RunAsync("node", ["dkim-verify.mjs", tampered, "s2026", "mail.cairn.test", publicKey], Path.Combine(Repository.Root, "test", "node"), cancellationToken: Cancel);
        File.Delete(tampered);
        var changed = JsonDocument.Parse(output).RootElement[0];
        Assert.NotEqual("pass", changed.GetProperty("status").GetString());
        Assert.Contains("body hash did not verify", changed.GetProperty("comment").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APermanentRefusalIsAHardBounce_AndATemporaryOneIsRetriedWithBackoff()
    {
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bounce-bob@example.com","first_name":"Bob"}}""");
        await _cairn.SendAsync("identify", """{"userId":"cem","traits":{"email":"later-cem@example.com","first_name":"Cem"}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"cart_abandoned","properties":{"cart_value":20}}""");
        await _cairn.SendAsync("track", """{"userId":"cem","event":"cart_abandoned","properties":{"cart_value":30}}""");
        await _cairn.DeliverAsync();

        var bob = await MessageOfAsync("bob");
        Assert.Equal(("bounced", 1), (bob.GetProperty("status").GetString(), bob.GetProperty("attempts").GetInt32()));
        Assert.Contains("SMTP 550", bob.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var check = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=BOUNCE-bob@example.com", Cancel);
        Assert.True(check.GetProperty("suppressed").GetBoolean());
        Assert.Equal("smtp", check.GetProperty("source").GetString());

        var cem = await MessageOfAsync("cem");
        Assert.Equal(("queued", 1), (cem.GetProperty("status").GetString(), cem.GetProperty("attempts").GetInt32()));
        Assert.StartsWith("SMTP 451", cem.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        // Not before its backoff (1 minute ± 20%); then tried again.
        await _cairn.Dispatcher.DispatchAsync(Cancel);
        Assert.Equal(1, (await MessageOfAsync("cem")).GetProperty("attempts").GetInt32());
        _time.Advance(TimeSpan.FromSeconds(75));
        await _cairn.Dispatcher.DispatchAsync(Cancel);
        Assert.Equal(2, (await MessageOfAsync("cem")).GetProperty("attempts").GetInt32());
        Assert.Empty(_sink.Files);
    }

    private async Task<JsonElement> MessageOfAsync(string userId) =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={await _cairn.ContactIdAsync(userId)}", Cancel)).GetProperty("items").EnumerateArray().Single();
}
