using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Cairn.Http.Tests;

/// <summary>
/// Email end to end over HTTP: a journey's send rendered and delivered to the development mailbox, RFC 8058 headers,
/// tracked links and the open pixel coming back as events that move a <c>wait_for</c>, a tampered link refused,
/// one-click unsubscribe stopping the next send, render errors recorded on the message, previews. SQLite and PostgreSQL.
/// </summary>
public abstract class EmailDeliveryTests : IAsyncLifetime
{
    internal const string Journey = """
        id: cart
        name: Cart
        category: promotional
        trigger: { event: cart_abandoned }
        entry: { reentry: always }
        steps:
          - id: email_1
            send: { channel: email, template: cart-email }
            next: opened
          - id: opened
            wait_for: { event: email_opened, correlate: email_1, timeout: 4h }
            exits: { happened: was_opened, timed_out: not_opened }
          - id: was_opened
            exit: true
          - id: not_opened
            exit: true
        """;

    internal const string Template = """
        kind: template
        id: cart-email
        channel: email
        subscription: offers
        subject: "{{ contact.first_name }}, your cart is waiting"
        preheader: Still there
        html: |
          <html><body><p>Hi {{ contact.first_name }}, you left items worth {{ event.cart_value }}.</p>
          <a href="https://shop.example/cart?id=1&amp;x=2">Back to cart</a> <a href="{{ message.unsubscribe_url }}">Unsubscribe</a></body></html>
        sample: { contact: { first_name: Sam }, event: { cart_value: 10 } }
        """;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await _cairn.PutDocumentAsync("templates/cart-email", Template);
        await _cairn.PutDocumentAsync("journeys/cart", Journey);
        using var published = await _cairn.Admin.PostAsync("/api/journeys/cart/publish", null, Cancel);
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(Cancel));
    }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AJourneysEmail_IsRenderedAndDelivered_AndItsOpensClicksAndUnsubscribeComeBack()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","first_name":"Ann"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"cart_abandoned","properties":{"cart_value":120}}""");
        await _cairn.DeliverAsync();

        var mailbox = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel);
        Assert.Equal("mailbox", mailbox.GetProperty("transport").GetString());
        var stored = Assert.Single(mailbox.GetProperty("messages").EnumerateArray());
        Assert.Equal(("ann@example.com", "Ann, your cart is waiting"), (stored.GetProperty("to").GetString(), stored.GetProperty("subject").GetString()));
        var email = await MimeMessage.LoadAsync(new MemoryStream(Encoding.UTF8.GetBytes(stored.GetProperty("raw").GetString()!)), Cancel);
        var html = email.HtmlBody!;

        // RFC 8058: an HTTPS-or-HTTP URL and a mailto, and the one-click marker.
        var unsubscribeHeader = email.Headers[HeaderId.ListUnsubscribe]!;
        Assert.Matches("^<http[^>]+/u/[^>]+>, <mailto:unsubscribe@[^>]+>$", unsubscribeHeader.Replace("\r\n", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal));
        Assert.Equal("List-Unsubscribe=One-Click", email.Headers[HeaderId.ListUnsubscribePost]);
        var messageId = stored.GetProperty("messageId").GetString()!;
        Assert.StartsWith(messageId.Replace(':', '='), email.MessageId, StringComparison.Ordinal);

        // Both parts: the text is generated from the HTML (links kept as "text (url)"); the HTML's links are tracked.
        Assert.Contains("Back to cart (https://shop.example/cart?id=1&x=2)", email.TextBody, StringComparison.Ordinal);
        Assert.Contains("you left items worth 120", html, StringComparison.Ordinal);
        Assert.Contains("Still there", html, StringComparison.Ordinal);
        var click = Link(html, "/t/c/");
        var open = Link(html, "/t/o/");
        Assert.DoesNotContain("href=\"https://shop.example", html, StringComparison.Ordinal);

        var message = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(messageId)}", Cancel);
        Assert.Equal(("delivered", "ann@example.com", 1), (message.GetProperty("status").GetString(), message.GetProperty("recipient").GetString(), message.GetProperty("templateVersion").GetInt32()));

        // A changed token is refused with 400 and redirects nowhere.
        var tampered = click[..^3] + (click[^3] == 'A' ? 'B' : 'A') + click[^2..];
        using (var refused = await _cairn.Anonymous.GetAsync(tampered, Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
        }

        // The click redirects to the original address, counts as the open the pixel did not report, and moves the journey.
        using (var redirected = await _cairn.Anonymous.GetAsync(click, Cancel))
        {
            Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
            Assert.Equal("https://shop.example/cart?id=1&x=2", redirected.Headers.Location!.ToString());
        }

        using (var pixel = await _cairn.Anonymous.GetAsync(open, Cancel))
        {
            Assert.Equal("image/gif", pixel.Content.Headers.ContentType!.MediaType);
        }

        await _cairn.Engine.WhenIdleAsync(Cancel);
        message = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(messageId)}", Cancel);
        Assert.Equal((2, 1), (message.GetProperty("opens").GetInt32(), message.GetProperty("clicks").GetInt32()));
        var ann = await _cairn.ContactIdAsync("ann");
        var events = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/events", Cancel)).GetProperty("items").EnumerateArray().ToList();
        var clicked = events.First(e => e.GetProperty("name").GetString() == "email_clicked");
        Assert.Equal(("https://shop.example/cart?id=1&x=2", messageId, "cart-email"), (Property(clicked, "url"), Property(clicked, "message_id"), Property(clicked, "template")));
        Assert.Equal(2, events.Count(e => e.GetProperty("name").GetString() == "email_opened"));
        Assert.Equal(messageId, Property(events.Single(e => e.GetProperty("name").GetString() == "email_delivered"), "message_id"));
        var journeys = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/journeys", Cancel);
        var path = journeys.GetProperty("ended").EnumerateArray().Single().GetProperty("path").EnumerateArray().Select(entry => entry.GetProperty("to").GetString()).ToList();
        Assert.Contains("was_opened", path);

        // The preference page offers the group and everything; the one-click POST unsubscribes from the group at once.
        var unsubscribe = Link(html, "/u/");
        var page = await _cairn.Anonymous.GetStringAsync(unsubscribe, Cancel);
        Assert.Contains("Unsubscribe from offers", page, StringComparison.Ordinal);
        Assert.Contains("all marketing email", page, StringComparison.Ordinal);
        using (var oneClick = await _cairn.Anonymous.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        }

        var consent = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel)).EnumerateArray());
        Assert.Equal(("email:offers", "opted_out"), (consent.GetProperty("key").GetString(), consent.GetProperty("state").GetString()));

        // The next cart abandonment enrolls again, but its email is not sent.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"cart_abandoned","properties":{"cart_value":80}}""");
        await _cairn.DeliverAsync();
        var outbox = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={ann}", Cancel)).GetProperty("items");
        var second = outbox.EnumerateArray().Single(m => m.GetProperty("enrollmentId").GetString() == "cart:2");
        Assert.Equal(("suppressed", "the contact opted out of email (offers)"), (second.GetProperty("status").GetString(), second.GetProperty("lastError").GetString()));
        Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task ATemplateThatCannotRenderForTheContact_IsNotSent_AndTheErrorIsOnTheMessage()
    {
        await _cairn.PutDocumentAsync("templates/cart-email", Template.Replace("{{ contact.first_name }}, your", "{{ contact.plan | upcase }}, your", StringComparison.Ordinal).Replace("first_name: Sam", "first_name: Sam, plan: pro", StringComparison.Ordinal));
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com","first_name":"Bob"}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"cart_abandoned","properties":{"cart_value":50}}""");
        await _cairn.DeliverAsync();

        var bob = await _cairn.ContactIdAsync("bob");
        var message = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={bob}", Cancel)).GetProperty("items").EnumerateArray().Single();
        Assert.Equal("failed", message.GetProperty("status").GetString());
        Assert.Contains("render error in 'cart-email' v2: subject: 'contact.plan' is not defined", message.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Empty((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray());

        // The journey's step statistics count it.
        var stats = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/cart/stats", Cancel);
        var step = stats.GetProperty("versions")[0].GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("step").GetString() == "email_1");
        Assert.Equal(1, step.GetProperty("messages").GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task TemplatesArePreviewed_ForAContactOrSampleData_AndRefusedWhenTheirSampleDoesNotRender()
    {
        await _cairn.SendAsync("identify", """{"userId":"cem","traits":{"email":"cem@example.com","first_name":"Cem"}}""");
        var cem = await _cairn.ContactIdAsync("cem");
        var forContact = await PreviewAsync("cart-email", new { contactId = cem, payload = new { cart_value = 33 } });
        Assert.Equal("Cem, your cart is waiting", forContact.GetProperty("parts").GetProperty("subject").GetString());
        Assert.Contains("worth 33", forContact.GetProperty("parts").GetProperty("html").GetString(), StringComparison.Ordinal);
        Assert.Contains("Back to cart (https://shop.example/cart?id=1&x=2)", forContact.GetProperty("parts").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("Sam, your cart is waiting", (await PreviewAsync("cart-email", new { })).GetProperty("parts").GetProperty("subject").GetString());

        await _cairn.PutDocumentAsync("templates/sms", "kind: template\nid: sms\nchannel: sms\ntext: \"Hi {{ contact.first_name | default: 'there' }}, your cart 🛒 is waiting\"");
        var sms = (await PreviewAsync("sms", new { contactId = cem })).GetProperty("sms");
        Assert.Equal(("UCS-2", 1), (sms.GetProperty("encoding").GetString(), sms.GetProperty("segments").GetInt32()));

        using var missing = await _cairn.Admin.PostAsJsonAsync("/api/templates/cart-email/preview", new { sample = new { contact = new { last_name = "X" } } }, Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Contains("'contact.first_name' is not defined", await missing.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var refused = await _cairn.Admin.PutAsync("/api/templates/bad", new StringContent("kind: template\nid: bad\nchannel: sms\ntext: \"{{ event.order_id }}\"", Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("'event.order_id' is not defined", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BounceAndComplaintReports_SuppressTheAddress_AndRecordOnTheMessageAndTimeline()
    {
        foreach (var (user, email) in new[] { ("ann", "ann@example.com"), ("bob", "bob@example.com"), ("cem", "cem@example.com") })
        {
            await _cairn.SendAsync("identify", JsonSerializer.Serialize(new { userId = user, traits = new { email, first_name = user } }));
            await _cairn.SendAsync("track", JsonSerializer.Serialize(new { userId = user, @event = "cart_abandoned", properties = new { cart_value = 10 } }));
        }

        await _cairn.DeliverAsync();
        var mailbox = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray().ToList();
        string IdOf(string to) => mailbox.Single(m => m.GetProperty("to").GetString() == to).GetProperty("messageId").GetString()!;
        string HeaderOf(string to) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(mailbox.Single(m => m.GetProperty("to").GetString() == to).GetProperty("raw").GetString()!))).MessageId!;

        // Amazon SES through SNS: a permanent bounce, matched to the message by the header SES echoes back.
        var ses = JsonSerializer.Serialize(new
        {
            notificationType = "Bounce",
            bounce = new { bounceType = "Permanent", bounceSubType = "General", timestamp = "2026-11-24T09:05:00Z", bouncedRecipients = new[] { new { emailAddress = "ann@example.com", diagnosticCode = "smtp; 550 5.1.1 user unknown" } } },
            mail = new { headers = new[] { new { name = "X-Cairn-Message-Id", value = IdOf("ann@example.com") } } },
        });
        var accepted = await ReportAsync(new Dictionary<string, string> { ["Type"] = "Notification", ["Message"] = ses });
        Assert.Equal(1, accepted.GetProperty("accepted").GetInt32());
        var ann = await MessageAsync(IdOf("ann@example.com"));
        Assert.Equal(("bounced", "hard bounce: smtp; 550 5.1.1 user unknown"), (ann.GetProperty("status").GetString(), ann.GetProperty("lastError").GetString()));
        var check = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=Ann@Example.com", Cancel);
        Assert.Equal((true, "ses"), (check.GetProperty("suppressed").GetBoolean(), check.GetProperty("source").GetString()));
        Assert.Contains((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions", Cancel)).GetProperty("items").EnumerateArray(), entry => entry.GetProperty("address").GetString() == "a***@example.com");

        // Cairn's generic format, in a batch where one report is unreadable: soft bounces count, the third suppresses.
        var batch = await ReportAsync(new object[]
        {
            new { type = "bounce", bounce_type = "soft", email = "bob@example.com", message_id = IdOf("bob@example.com"), reason = "mailbox full" },
            new { type = "sometimes", email = "bob@example.com" },
            new { type = "bounce", bounce_type = "soft", email = "bob@example.com", reason = "mailbox full" },
        });
        Assert.Equal((2, 1), (batch.GetProperty("accepted").GetInt32(), batch.GetProperty("rejected")[0].GetProperty("index").GetInt32()));
        Assert.False((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=bob@example.com", Cancel)).GetProperty("suppressed").GetBoolean());
        await ReportAsync(new { type = "bounce", bounce_type = "soft", email = "bob@example.com", reason = "mailbox full" });
        var bob = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=bob@example.com", Cancel);
        Assert.Equal((true, "3 soft bounces in a row (last: mailbox full)"), (bob.GetProperty("suppressed").GetBoolean(), bob.GetProperty("reason").GetString()));

        // A complaint, matched by the Message-ID header: suppressed, and the contact's email consent withdrawn.
        await ReportAsync(new { type = "complaint", email = "cem@example.com", message_id = HeaderOf("cem@example.com") });
        var cemId = await _cairn.ContactIdAsync("cem");
        var consent = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{cemId}/consent", Cancel)).EnumerateArray());
        Assert.Equal(("email", "opted_out", "complaint"), (consent.GetProperty("key").GetString(), consent.GetProperty("state").GetString(), consent.GetProperty("source").GetString()));
        Assert.NotEqual(JsonValueKind.Null, (await MessageAsync(IdOf("cem@example.com"))).GetProperty("complainedAt").ValueKind);
        var events = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{await _cairn.ContactIdAsync("ann")}/events", Cancel)).GetProperty("items").EnumerateArray();
        Assert.Contains(events, e => e.GetProperty("name").GetString() == "email_bounced");

        // Nothing more goes to a suppressed address, transactional or not; taking it off the list sends again.
        _time.Advance(TimeSpan.FromHours(5));
        await _cairn.Timers.FireDueTimersAsync(Cancel);
        await _cairn.SendAsync("track", """{"userId":"ann","event":"cart_abandoned","properties":{"cart_value":10}}""");
        await _cairn.DeliverAsync();
        var outbox = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={await _cairn.ContactIdAsync("ann")}", Cancel)).GetProperty("items");
        var held = outbox.EnumerateArray().Single(m => m.GetProperty("enrollmentId").GetString() == "cart:2");
        Assert.Equal("suppressed", held.GetProperty("status").GetString());
        Assert.StartsWith("the address is on the suppression list (hard bounce", held.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        using var removed = await _cairn.Admin.DeleteAsync("/api/suppressions?address=ann@example.com", Cancel);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.False((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=ann@example.com", Cancel)).GetProperty("suppressed").GetBoolean());

        using var unauthorized = await _cairn.Anonymous.PostAsJsonAsync("/webhooks/email", new { type = "bounce", email = "x@example.com" }, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    private async Task<JsonElement> ReportAsync(object body)
    {
        using var response = await _cairn.Ingest.PostAsJsonAsync("/webhooks/email", body, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        await _cairn.Engine.WhenIdleAsync(Cancel);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private async Task<JsonElement> MessageAsync(string id) =>
        await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(id)}", Cancel);

    private async Task<JsonElement> PreviewAsync(string template, object body)
    {
        using var response = await _cairn.Admin.PostAsJsonAsync($"/api/templates/{template}/preview", body, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static string? Property(JsonElement stored, string name) =>
        stored.GetProperty("message").GetProperty("properties").TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>The path of the first link in the HTML to one of this server's endpoints.</summary>
    internal static string Link(string html, string prefix)
    {
        var at = html.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no {prefix} link in {html}");
        var end = html.IndexOfAny(['"', '\''], at);
        return WebUtility.HtmlDecode(html[at..end]);
    }
}

public sealed class SqliteEmailDeliveryTests : EmailDeliveryTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlEmailDeliveryTests(PostgresFixture postgres) : EmailDeliveryTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
