using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// SMS to a Twilio-compatible API, push to an FCM v1-compatible API (both real HTTP servers in the test), the SMS
/// provider's inbound STOP/HELP and status callbacks, and the in-app inbox, through the HTTP API. SQLite and PostgreSQL.
/// </summary>
public abstract class ChannelDeliveryTests : IAsyncLifetime
{
    private const string AccountSid = "AC0123456789";
    private const string AuthToken = "twilio-auth-token";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private RecordingEndpoint _provider = null!;
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _provider = await RecordingEndpoint.StartAsync();
        _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time, messaging: options =>
        {
            options.PublicUrl = new Uri("https://cairn.example.com");
            options.Sms.BaseUrl = new Uri(_provider.Url + "/twilio/");
            options.Sms.AccountSid = AccountSid;
            options.Sms.AuthToken = AuthToken;
            options.Sms.From = "+15005550006";
            options.Push.BaseUrl = new Uri(_provider.Url + "/fcm/");
            options.Push.ProjectId = "cairn-demo";
            options.Push.AccessToken = "ya29.test";
        });
        foreach (var (channel, template) in new[]
        {
            ("sms", "kind: template\nid: sms-t\nchannel: sms\nsubscription: offers\ntext: \"{{ workspace.name }}: hi {{ contact.first_name }}, your cart is waiting. Reply STOP to opt out.\""),
            ("push", "kind: template\nid: push-t\nchannel: push\ntitle: \"Hi {{ contact.first_name }}\"\nbody: Your cart is waiting\ndeep_link: \"app://cart\"\ndata: { screen: cart }"),
            ("in_app", "kind: template\nid: in_app-t\nchannel: in_app\ntitle: \"Welcome, {{ contact.first_name }}\"\nbody: Take the tour\naction: { label: Start, url: \"https://app.example.com/tour\" }"),
        })
        {
            await _cairn.PutDocumentAsync($"templates/{channel}-t", template);
            await _cairn.PutDocumentAsync($"journeys/{channel}-j", $"id: {channel}-j\nname: {channel}\ncategory: promotional\ntrigger: {{ event: {channel}_go }}\nentry: {{ reentry: always }}\nsteps:\n  - id: send\n    send: {{ channel: {channel}, template: {channel}-t }}\n    next: done\n  - id: done\n    exit: true\n");
            (await _cairn.Admin.PostAsync($"/api/journeys/{channel}-j/publish", null, Cancel)).Dispose();
        }

        await _cairn.PutDocumentAsync("templates/email-t", "kind: template\nid: email-t\nchannel: email\nsubject: Your cart\ntext: Your cart is waiting");
        await _cairn.PutDocumentAsync("journeys/reach", "id: reach\nname: Reach\ntrigger: { event: reach_go }\nsteps:\n  - id: send\n    send: { channel: push, template: push-t, fallback: [ { channel: sms, template: sms-t }, { channel: email, template: email-t } ] }\n    next: done\n  - id: done\n    exit: true\n");
        (await _cairn.Admin.PostAsync("/api/journeys/reach/publish", null, Cancel)).Dispose();
        // Ann opted in to texts: marketing SMS needs it (the default policy's TCPA rule).
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"first_name":"Ann","phone":"+14155550101","email":"ann@example.com","consent":{"sms":"opted_in"}}}""");
    }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        await _provider.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SmsGoesToATwilioCompatibleApi_WithItsStatusCallbacks_AndStopOptsOutAtOnce()
    {
        _provider.Respond = _ => Results.Json(new { sid = "SM123", status = "queued" }, statusCode: 201);
        await _cairn.SendAsync("track", """{"userId":"ann","event":"sms_go"}""");
        await _cairn.DeliverAsync();

        var request = Assert.Single(_provider.Received);
        Assert.Equal(("POST", $"/twilio/2010-04-01/Accounts/{AccountSid}/Messages.json"), (request.Method, request.Path));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}")), request.Header("Authorization"));
        var form = QueryHelpers(request.Text);
        Assert.Equal(("+14155550101", "+15005550006"), (form["To"], form["From"]));
        Assert.Equal("Cairn Demo Shop: hi Ann, your cart is waiting. Reply STOP to opt out.", form["Body"]);
        var ann = await _cairn.ContactIdAsync("ann");
        var message = Single(await MessagesAsync(ann), "sms");
        var id = message.GetProperty("messageId").GetString()!;
        Assert.Equal($"{id}:0", request.Header("I-Twilio-Idempotency-Token"));
        Assert.Equal(("sent", "GSM-7, 1 segment(s)"), (message.GetProperty("status").GetString(), message.GetProperty("subject").GetString()));

        // The carrier's delivery report comes back on the signed callback address and becomes an event.
        var callback = new Uri(form["StatusCallback"]);
        Assert.Equal("cairn.example.com", callback.Host);
        using (var status = await _cairn.Anonymous.PostAsync(callback.PathAndQuery, new FormUrlEncodedContent([new("MessageSid", "SM123"), new("MessageStatus", "delivered")]), Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        }

        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Equal("delivered", Single(await MessagesAsync(ann), "sms").GetProperty("status").GetString());
        Assert.Contains(await EventNamesAsync(ann), name => name == "sms_delivered");
        using (var forged = await _cairn.Anonymous.PostAsync(callback.AbsolutePath[..^4] + "AAAA", new FormUrlEncodedContent([new("MessageStatus", "failed")]), Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        // STOP, signed by the provider: opted out at once, confirmed once; HELP answers; the next SMS is not sent.
        Assert.Contains("you are unsubscribed", await InboundAsync("+14155550101", "stop"), StringComparison.Ordinal);
        Assert.DoesNotContain("<Message>", await InboundAsync("+14155550101", "STOP"), StringComparison.Ordinal);
        Assert.Contains("reply STOP to unsubscribe", await InboundAsync("+14155550101", "HELP"), StringComparison.Ordinal);
        var consent = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel)).EnumerateArray());
        Assert.Equal(("sms", "opted_out", "sms_stop"), (consent.GetProperty("key").GetString(), consent.GetProperty("state").GetString(), consent.GetProperty("source").GetString()));
        await _cairn.SendAsync("track", """{"userId":"ann","event":"sms_go"}""");
        await _cairn.DeliverAsync();
        Assert.Single(_provider.Received);
        Assert.Contains(await MessagesAsync(ann), m => m.GetProperty("status").GetString() == "suppressed" && m.GetProperty("lastError").GetString() == "the contact opted out of sms (offers)");

        // A request without the provider's signature (or with a wrong one) is refused.
        using var unsigned = await _cairn.Anonymous.PostAsync("/webhooks/sms/inbound", new FormUrlEncodedContent([new("From", "+14155550101"), new("Body", "START")]), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    [Fact]
    public async Task AProviderRefusalFailsTheSms_AndAContactWithoutANumberIsUndeliverable()
    {
        _provider.Respond = _ => Results.Json(new { code = 21211, message = "The 'To' number is not a valid phone number." }, statusCode: 400);
        await _cairn.SendAsync("track", """{"userId":"ann","event":"sms_go"}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"first_name":"Bob","consent":{"sms":"opted_in"}}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"sms_go"}""");
        await _cairn.DeliverAsync();

        var ann = Single(await MessagesAsync(await _cairn.ContactIdAsync("ann")), "sms");
        Assert.Equal(("failed", "SMS provider: HTTP 400 Bad Request: The 'To' number is not a valid phone number."), (ann.GetProperty("status").GetString(), ann.GetProperty("lastError").GetString()));
        var bob = Single(await MessagesAsync(await _cairn.ContactIdAsync("bob")), "sms");
        Assert.Equal(("undeliverable", "the contact has no phone number in E.164 form"), (bob.GetProperty("status").GetString(), bob.GetProperty("lastError").GetString()));
    }

    [Fact]
    public async Task AContactWithoutTheAddress_IsUndeliverable_EvenWhenTheTemplateReadsTheAddress()
    {
        // Rendering first would fail on the missing variable, and report a broken template instead of a missing address.
        await _cairn.PutDocumentAsync("templates/address-t", "kind: template\nid: address-t\nchannel: email\nsubject: Your cart\ntext: \"We write to {{ contact.email }}\"");
        await _cairn.PutDocumentAsync("journeys/address-j", "id: address-j\nname: Address\ntrigger: { event: address_go }\nsteps:\n  - id: send\n    send: { channel: email, template: address-t }\n    next: done\n  - id: done\n    exit: true\n");
        (await _cairn.Admin.PostAsync("/api/journeys/address-j/publish", null, Cancel)).Dispose();
        await _cairn.SendAsync("track", """{"userId":"cal","event":"address_go"}""");
        await _cairn.DeliverAsync();

        var cal = Single(await MessagesAsync(await _cairn.ContactIdAsync("cal")), "email");
        Assert.Equal(("undeliverable", "the contact has no email address"), (cal.GetProperty("status").GetString(), cal.GetProperty("lastError").GetString()));
    }

    [Fact]
    public async Task PushGoesToEveryRegisteredDevice_AndATokenTheProviderCallsUnregisteredIsRemoved()
    {
        var ann = await _cairn.ContactIdAsync("ann");
        foreach (var (token, platform) in new[] { ("good-token", "android"), ("stale-token", "ios") })
        {
            using var registered = await _cairn.Admin.PostAsJsonAsync($"/api/contacts/{ann}/devices", new { token, platform }, Cancel);
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }

        using (var invalid = await _cairn.Admin.PostAsJsonAsync($"/api/contacts/{ann}/devices", new { token = "x", platform = "fax" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        _provider.Respond = request => request.Body.GetProperty("message").GetProperty("token").GetString() == "stale-token"
            ? Results.Json(new { error = new { code = 404, message = "Requested entity was not found.", status = "NOT_FOUND", details = new[] { new { errorCode = "UNREGISTERED" } } } }, statusCode: 404)
            : Results.Json(new { name = "projects/cairn-demo/messages/1" });
        await _cairn.SendAsync("track", """{"userId":"ann","event":"push_go"}""");
        await _cairn.DeliverAsync();

        Assert.Equal(2, _provider.Received.Count);
        var sent = _provider.Received.Single(r => r.Body.GetProperty("message").GetProperty("token").GetString() == "good-token");
        Assert.Equal(("/fcm/v1/projects/cairn-demo/messages:send", "Bearer ya29.test"), (sent.Path, sent.Header("Authorization")));
        var push = sent.Body.GetProperty("message");
        Assert.Equal(("Hi Ann", "Your cart is waiting"), (push.GetProperty("notification").GetProperty("title").GetString(), push.GetProperty("notification").GetProperty("body").GetString()));
        Assert.Equal(("cart", "app://cart"), (push.GetProperty("data").GetProperty("screen").GetString(), push.GetProperty("data").GetProperty("deep_link").GetString()));
        Assert.Equal("sent", Single(await MessagesAsync(ann), "push").GetProperty("status").GetString());
        var devices = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/devices", Cancel);
        Assert.Equal(["good-token"], devices.EnumerateArray().Select(d => d.GetProperty("token").GetString()));
    }

    [Fact]
    public async Task InAppMessagesLandInTheInbox_WhichTheAppReadsWithTheUsersToken()
    {
        await _cairn.SendAsync("track", """{"userId":"ann","event":"in_app_go"}""");
        await _cairn.DeliverAsync();
        var settings = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/settings/messaging", Cancel);
        var token = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(settings.GetProperty("inboxSecret").GetString()!), Encoding.UTF8.GetBytes("ann")));

        using (var refused = await _cairn.Anonymous.GetAsync("/api/inbox/ann", Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var inbox = await InboxAsync(token);
        Assert.Equal(1, inbox.GetProperty("unread").GetInt32());
        var item = Assert.Single(inbox.GetProperty("items").EnumerateArray());
        Assert.Equal(("Welcome, Ann", "Take the tour", "https://app.example.com/tour"), (item.GetProperty("title").GetString(), item.GetProperty("body").GetString(), item.GetProperty("action").GetProperty("url").GetString()));
        var id = item.GetProperty("id").GetString()!;
        Assert.Equal("delivered", Single(await MessagesAsync(await _cairn.ContactIdAsync("ann")), "in_app").GetProperty("status").GetString());

        await MarkAsync(token, id, "read");
        await MarkAsync(token, id, "click");
        Assert.Equal(0, (await InboxAsync(token)).GetProperty("unread").GetInt32());
        await MarkAsync(token, id, "dismiss");
        Assert.Empty((await InboxAsync(token)).GetProperty("items").EnumerateArray());
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var names = await EventNamesAsync(await _cairn.ContactIdAsync("ann"));
        Assert.Contains("in_app_opened", names);
        Assert.Contains("in_app_clicked", names);
    }

    [Fact]
    public async Task ASendWithAFallback_UsesTheFirstChannelTheContactCanBeReachedOn_AndThePreferredOneFirst()
    {
        _provider.Respond = _ => Results.Json(new { sid = "SM1", status = "queued" }, statusCode: 201);

        // No device: push cannot reach Ann, so the message moves to SMS, her next channel.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"reach_go"}""");
        for (var pass = 0; pass < 2; pass++)
        {
            await _cairn.DeliverAsync();
        }

        var ann = Single(await MessagesAsync(await _cairn.ContactIdAsync("ann")), "sms");
        Assert.Equal(("sent", "sms-t"), (ann.GetProperty("status").GetString(), ann.GetProperty("template").GetString()));
        Assert.Single(_provider.Received, request => request.Path.EndsWith("/Messages.json", StringComparison.Ordinal));

        // Bob prefers email: it is tried first, and it reaches him.
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"first_name":"Bob","phone":"+14155550102","email":"bob@example.com","preferred_channel":"email"}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"reach_go"}""");
        await _cairn.DeliverAsync();
        var bob = (await MessagesAsync(await _cairn.ContactIdAsync("bob"))).Single();
        Assert.Equal(("email", "delivered"), (bob.GetProperty("channel").GetString(), bob.GetProperty("status").GetString()));
        Assert.Single(_provider.Received);

        // Cat declared nothing, but she clicks her emails and ignores her texts: email is learned as her channel.
        await _cairn.SendAsync("identify", """{"userId":"cat","traits":{"phone":"+14155550103","email":"cat@example.com"}}""");
        foreach (var name in new[] { "email_delivered", "email_delivered", "email_delivered", "email_clicked", "email_clicked", "sms_delivered", "sms_delivered", "sms_delivered" })
        {
            await _cairn.SendAsync("track", $$"""{"userId":"cat","event":"{{name}}"}""");
        }

        var cat = await _cairn.ContactIdAsync("cat");
        var engagement = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{cat}/engagement", Cancel);
        Assert.Equal(("email", "learned"), (engagement.GetProperty("preferredChannel").GetProperty("channel").GetString(), engagement.GetProperty("preferredChannel").GetProperty("source").GetString()));
        Assert.Equal(
            [("email", 3L, 2L, 0.44), ("sms", 3L, 0L, 0.04)],
            engagement.GetProperty("channels").EnumerateArray().Select(c => (c.GetProperty("channel").GetString(), c.GetProperty("received").GetInt64(), c.GetProperty("engaged").GetInt64(), c.GetProperty("rate").GetDouble())));
        await _cairn.SendAsync("track", """{"userId":"cat","event":"reach_go"}""");
        await _cairn.DeliverAsync();
        Assert.Equal("email", (await MessagesAsync(cat)).Single().GetProperty("channel").GetString());
        Assert.Single(_provider.Received);
    }

    private async Task<JsonElement> InboxAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/inbox/ann");
        request.Headers.Add("X-Cairn-Inbox-Token", token);
        using var response = await _cairn.Anonymous.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private async Task MarkAsync(string token, string id, string what)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/inbox/ann/{Uri.EscapeDataString(id)}/{what}");
        request.Headers.Add("X-Cairn-Inbox-Token", token);
        using var response = await _cairn.Anonymous.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>Posts an inbound SMS the way Twilio does: form fields, signed with HMAC-SHA1 of the URL and the sorted fields.</summary>
    private async Task<string> InboundAsync(string from, string body)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["From"] = from, ["To"] = "+15005550006", ["Body"] = body, ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N") };
        var signed = "https://cairn.example.com/webhooks/sms/inbound" + string.Concat(fields.Select(field => field.Key + field.Value));
#pragma warning disable CA5350 // Twilio's signature is HMAC-SHA1.
        var signature = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(AuthToken), Encoding.UTF8.GetBytes(signed)));
#pragma warning restore CA5350
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sms/inbound") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Twilio-Signature", signature);
        using var response = await _cairn.Anonymous.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _cairn.Engine.WhenIdleAsync(Cancel);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    private async Task<List<JsonElement>> MessagesAsync(string contactId) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={contactId}", Cancel)).GetProperty("items").EnumerateArray()];

    private async Task<List<string>> EventNamesAsync(string contactId) =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}/events", Cancel)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];

    private static JsonElement Single(List<JsonElement> messages, string channel) => messages.Single(m => m.GetProperty("channel").GetString() == channel);

    private static Dictionary<string, string> QueryHelpers(string form) =>
        form.Split('&').Select(pair => pair.Split('=', 2)).ToDictionary(pair => WebUtility.UrlDecode(pair[0]), pair => WebUtility.UrlDecode(pair[1]));
}

public sealed class SqliteChannelDeliveryTests : ChannelDeliveryTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlChannelDeliveryTests(PostgresFixture postgres) : ChannelDeliveryTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
