using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The orchestrator end to end over HTTP: three journeys under a cap of two a day, an unsubscribe in the same second
/// as a due send, and promotions held while a support ticket is open — each decision explained on the message and
/// the timeline. SQLite and PostgreSQL.
/// </summary>
public abstract class OrchestratorApiTests : IAsyncLifetime
{
    // Tuesday 24 November 2026, 15:00 UTC = 10:00 in New York.
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 15, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync(postgres: await PostgresAsync(), time: _time);
        await _cairn.PutDocumentAsync("segments/open-support-ticket", "kind: segment\nid: open-support-ticket\nname: Open ticket\ncondition: { last_performed: ticket_opened, not_followed_by: ticket_closed }");
        await _cairn.PutDocumentAsync("policy", """
            kind: policy
            id: default
            time_zone: America/New_York
            caps:
              - { id: daily, channel: any, max: 2, per: day }
            suppression_rules:
              - { id: open-ticket, when: { in_segment: open-support-ticket }, categories: [promotional], action: hold }
            """);
        foreach (var (journey, priority, category) in new[] { ("flash-sale", 90, "promotional"), ("newsletter", 70, "promotional"), ("tips", 50, "promotional"), ("receipt", 10, "transactional") })
        {
            await _cairn.PutDocumentAsync($"templates/{journey}", $"kind: template\nid: {journey}\nchannel: email\nsubscription: offers\nsubject: \"{journey}\"\ntext: \"Hello from {journey}\"");
            await _cairn.PutDocumentAsync($"journeys/{journey}", $"id: {journey}\nname: {journey}\npriority: {priority}\ncategory: {category}\ntrigger: {{ event: {(category == "transactional" ? "order_completed" : "go")} }}\nentry: {{ reentry: always }}\nsteps:\n  - id: send\n    send: {{ channel: email, template: {journey} }}\n");
            (await _cairn.Admin.PostAsync($"/api/journeys/{journey}/publish", null, Cancel)).Dispose();
        }

        await _cairn.PutDocumentAsync("templates/nudge", "kind: template\nid: nudge\nchannel: email\nsubscription: offers\nsubject: nudge\ntext: Still there?");
        await _cairn.PutDocumentAsync("journeys/nudge", """
            id: nudge
            name: Nudge
            priority: 40
            trigger: { event: go_nudge }
            entry: { reentry: always }
            steps:
              - id: email
                send: { channel: email, template: nudge }
                next: opened
              - id: opened
                wait_for: { event: email_opened, correlate: email, timeout: 48h }
                exits: { happened: done, timed_out: done }
              - id: done
                exit: true
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/nudge/publish", null, Cancel)).Dispose();
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","timezone":"America/New_York"}}""");
    }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ThreeJourneysUnderACapOfTwoADay_SendTheTwoHighestPriorities_AndTheThirdTheNextLocalDay()
    {
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();

        Assert.Equal(["flash-sale", "newsletter"], await MailboxSubjectsAsync());
        var tips = await MessageOfAsync("tips");
        Assert.Equal("queued", tips.GetProperty("status").GetString());
        Assert.StartsWith("deferred to 2026-11-25T05:00:00Z: cap 'daily' (2 messages per day)", tips.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var decision = JsonDocument.Parse(tips.GetProperty("decision").GetString()!).RootElement;
        Assert.Equal("defer", decision.GetProperty("decision").GetString());
        Assert.Contains(decision.GetProperty("checks").EnumerateArray(), check => check.GetProperty("check").GetString() == "cap daily" && check.GetProperty("result").GetString() == "deferred");
        Assert.Contains(await EventNamesAsync(), name => name == "message_deferred");

        // A receipt is transactional: the cap does not hold it.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"order_completed"}""");
        await _cairn.DeliverAsync();
        Assert.Equal(["flash-sale", "newsletter", "receipt"], await MailboxSubjectsAsync());

        // Midnight in New York: the third goes out.
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 5, 0, 1, TimeSpan.Zero));
        await _cairn.DeliverAsync();
        Assert.Equal(["flash-sale", "newsletter", "receipt", "tips"], await MailboxSubjectsAsync());
        Assert.Equal("delivered", (await MessageOfAsync("tips")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnUnsubscribeInTheSameSecond_StopsTheSendThatWasDue()
    {
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        var ann = await _cairn.ContactIdAsync("ann");
        using (var unsubscribed = await _cairn.Admin.PutAsJsonAsync($"/api/contacts/{ann}/consent", new { channel = "email", state = "opted_out", source = "preference center", proof = "form pc-1, 203.0.113.9" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, unsubscribed.StatusCode);
        }

        await _cairn.DeliverAsync();
        Assert.Empty(await MailboxSubjectsAsync());
        foreach (var journey in new[] { "flash-sale", "newsletter", "tips" })
        {
            var message = await MessageOfAsync(journey);
            Assert.Equal(("suppressed", "the contact opted out of email (offers)"), (message.GetProperty("status").GetString(), message.GetProperty("lastError").GetString()));
        }

        Assert.Contains(await EventNamesAsync(), name => name == "message_suppressed");
        var history = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent/history", Cancel)).EnumerateArray()).GetProperty("answer");
        Assert.Equal(("opted_out", "preference center", "form pc-1, 203.0.113.9"), (history.GetProperty("state").GetString(), history.GetProperty("source").GetString(), history.GetProperty("proof").GetString()));
    }

    [Fact]
    public async Task PromotionsWaitWhileASupportTicketIsOpen_AndGoOutOnceItIsClosed()
    {
        await _cairn.SendAsync("track", """{"userId":"ann","event":"ticket_opened"}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        Assert.Empty(await MailboxSubjectsAsync());
        var held = await MessageOfAsync("flash-sale");
        Assert.Equal(("queued", "held while suppression rule 'open-ticket' holds"), (held.GetProperty("status").GetString(), held.GetProperty("lastError").GetString()));

        // The rule is looked at again an hour later: the ticket is still open.
        _time.Advance(TimeSpan.FromMinutes(61));
        await _cairn.DeliverAsync();
        Assert.Empty(await MailboxSubjectsAsync());

        await _cairn.SendAsync("track", """{"userId":"ann","event":"ticket_closed"}""");
        _time.Advance(TimeSpan.FromMinutes(61));
        await _cairn.DeliverAsync();
        Assert.Equal(["flash-sale", "newsletter"], await MailboxSubjectsAsync());
        var decision = JsonDocument.Parse((await MessageOfAsync("flash-sale")).GetProperty("decision").GetString()!).RootElement;
        Assert.Equal("send", decision.GetProperty("decision").GetString());

        var policy = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/policy", Cancel);
        Assert.Equal("America/New_York", policy.GetProperty("timeZone").GetString());
        using var invalid = await _cairn.Admin.PutAsync("/api/policy", new StringContent("kind: policy\nid: default\ncaps: [{ id: c, channel: fax, max: 1, per: day }]", System.Text.Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("unknown channel 'fax' (email, sms, push, in_app, any)", Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task APolicyLettingPromotionalSmsGoWithoutOptIn_IsStored_WithAWarning()
    {
        using var stored = await _cairn.Admin.PutAsync("/api/policy", new StringContent("kind: policy\nid: default\ntime_zone: UTC\n", System.Text.Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var warning = Assert.Single((await stored.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("warnings").EnumerateArray());
        Assert.Equal(1, warning.GetProperty("line").GetInt32());
        Assert.Equal("promotional SMS can go to contacts who never opted in: add sms to require_opt_in (in the US, the TCPA requires prior express written consent for marketing texts)", warning.GetProperty("message").GetString());

        using var safe = await _cairn.Admin.PutAsync("/api/policy", new StringContent("kind: policy\nid: default\ntime_zone: UTC\nrequire_opt_in: [sms]\n", System.Text.Encoding.UTF8, "application/yaml"), Cancel);
        Assert.Equal(HttpStatusCode.OK, safe.StatusCode);
        Assert.Empty((await safe.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task AWaitForOnADeferredEmail_CountsFromWhenItWentOut_AndOnASuppressedOne_IsResolvedAsNotHappened()
    {
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go_nudge"}""");
        await _cairn.DeliverAsync();
        Assert.Equal(T0.AddHours(48), (await NudgeAsync()).GetProperty("wakeAt").GetDateTimeOffset());
        Assert.StartsWith("deferred to 2026-11-25T05:00:00Z: cap 'daily'", Delivery(await NudgeAsync()), StringComparison.Ordinal);

        // Midnight in New York: the deferred nudge goes out, and its 48 hours start now.
        var midnight = new DateTimeOffset(2026, 11, 25, 5, 0, 1, TimeSpan.Zero);
        _time.SetUtcNow(midnight);
        await _cairn.DeliverAsync();
        await _cairn.Engine.WhenIdleAsync(Cancel);
        Assert.Contains("nudge", await MailboxSubjectsAsync());
        Assert.Equal(midnight.AddHours(48), (await NudgeAsync()).GetProperty("wakeAt").GetDateTimeOffset());
        Assert.Equal("delivered", Delivery(await NudgeAsync()));
        await _cairn.AdvanceAsync(_time, T0.AddHours(49));
        Assert.Equal("opened", (await NudgeAsync()).GetProperty("step").GetString());

        // Opted out before the next nudge could go: it is suppressed, and the wait resolves at once as not happened.
        await _cairn.AdvanceAsync(_time, midnight.AddHours(49));
        var ann = await _cairn.ContactIdAsync("ann");
        (await _cairn.Admin.PutAsJsonAsync($"/api/contacts/{ann}/consent", new { channel = "email", state = "opted_out" }, Cancel)).Dispose();
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go_nudge"}""");
        await _cairn.DeliverAsync();
        await _cairn.Engine.WhenIdleAsync(Cancel);
        var journeys = await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/journeys", Cancel);
        var second = journeys.GetProperty("ended").EnumerateArray().Single(e => e.GetProperty("id").GetString() == "nudge:2");
        Assert.Contains(second.GetProperty("path").EnumerateArray(), entry => entry.GetProperty("reason").GetString()!.StartsWith("email was not delivered (message_suppressed)", StringComparison.Ordinal));
        Assert.StartsWith("dropped: ", Delivery(second), StringComparison.Ordinal);

        // Journeys that ended at their send step show what became of the message too (the flash sale of the first day went out).
        var flash = journeys.GetProperty("ended").EnumerateArray().First(e => e.GetProperty("journey").GetString() == "flash-sale");
        Assert.Equal("delivered", Delivery(flash));
    }

    private static string Delivery(JsonElement enrollment) =>
        enrollment.GetProperty("messages").EnumerateArray().Single().GetProperty("delivery").GetString()!;

    [Fact]
    public async Task ContactsWhoStopEngaging_AreSunsetFromPromotions_AndItShowsOnTheirProfile()
    {
        await _cairn.PutDocumentAsync("policy", "kind: policy\nid: default\nengagement:\n  channel: email\n  throttle: { after: 14d, max: 1, per: week }\n  sunset: { after: 30d }");
        var ann = await _cairn.ContactIdAsync("ann");
        Assert.Equal("active", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/engagement", Cancel)).GetProperty("status").GetString());

        _time.Advance(TimeSpan.FromDays(31));
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        Assert.Empty(await MailboxSubjectsAsync());
        Assert.Equal(("suppressed", "sunset: no email open or click in 30d"), ((await MessageOfAsync("flash-sale")).GetProperty("status").GetString(), (await MessageOfAsync("flash-sale")).GetProperty("lastError").GetString()));
        Assert.Equal("sunset", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/engagement", Cancel)).GetProperty("status").GetString());

        // An open (here reported by another tool through /v1/track) makes her active again.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"email_opened","properties":{"message_id":"elsewhere"}}""");
        Assert.Equal("active", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/engagement", Cancel)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ASendAtTheBestTime_WaitsForTheHourTheContactOpens()
    {
        await _cairn.PutDocumentAsync("templates/evening", "kind: template\nid: evening\nchannel: email\nsubject: evening\ntext: Good evening");
        await _cairn.PutDocumentAsync("journeys/evening", "id: evening\nname: Evening\ntrigger: { event: go_evening }\nsteps:\n  - id: send\n    send: { channel: email, template: evening, at: best_time, within: 24h }\n");
        (await _cairn.Admin.PostAsync("/api/journeys/evening/publish", null, Cancel)).Dispose();

        // Ann opens her email around 20:00 UTC.
        for (var day = 1; day <= 6; day++)
        {
            var at = T0.Date.AddDays(-day).AddHours(20).AddMinutes(5);
            await _cairn.SendAsync("track", JsonSerializer.Serialize(new { userId = "ann", @event = "email_opened", timestamp = at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), properties = new { message_id = $"earlier-{day}" } }));
        }

        await _cairn.SendAsync("track", """{"userId":"ann","event":"go_evening"}""");
        await _cairn.DeliverAsync();
        var message = await MessageOfAsync("evening");
        Assert.Equal(("queued", "send-time optimisation: sent at the contact's best hour, 2026-11-24T20:00:00Z"), (message.GetProperty("status").GetString(), message.GetProperty("lastError").GetString()));
        Assert.Empty(await MailboxSubjectsAsync());

        _time.SetUtcNow(new DateTimeOffset(2026, 11, 24, 20, 0, 30, TimeSpan.Zero));
        await _cairn.DeliverAsync();
        Assert.Equal(["evening"], await MailboxSubjectsAsync());
    }

    [Fact]
    public async Task ConsentIsImportedFromACsv_RowByRow()
    {
        const string Csv = "email,channel,group,state,source,proof,at\nann@example.com,email,offers,opted_out,crm-export,double opt-out form,2026-11-20T10:00:00Z\nnobody@example.com,email,,opted_in,crm-export,,\nann@example.com,email,,maybe,crm-export,,\n";
        using var response = await _cairn.Admin.PostAsync("/api/consent/import", new StringContent(Csv, System.Text.Encoding.UTF8, "text/csv"), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, result.GetProperty("imported").GetInt32());
        Assert.Equal(
            ["line 3: no contact has email 'nobody@example.com'", "line 4: state is opted_in or opted_out"],
            result.GetProperty("rejected").EnumerateArray().Select(r => $"{r.GetProperty("row").GetString()}: {r.GetProperty("reason").GetString()}"));
        var consent = Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{await _cairn.ContactIdAsync("ann")}/consent", Cancel)).EnumerateArray());
        Assert.Equal(("email:offers", "opted_out", "crm-export"), (consent.GetProperty("key").GetString(), consent.GetProperty("state").GetString(), consent.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task UnderDoubleOptIn_AnOptInWaitsForTheClickInTheConfirmationEmail()
    {
        await _cairn.PutDocumentAsync("policy", "kind: policy\nid: default\ndouble_opt_in: [email]");
        await _cairn.PutDocumentAsync("templates/consent-confirmation", File.ReadAllText(Path.Combine(Repository.Root, "examples", "templates", "consent-confirmation.yaml")));
        var ann = await _cairn.ContactIdAsync("ann");
        using (var asked = await _cairn.Admin.PutAsJsonAsync($"/api/contacts/{ann}/consent", new { channel = "email", group = "offers", state = "opted_in", source = "signup form" }, Cancel))
        {
            var consent = Assert.Single((await asked.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray());
            Assert.Equal("pending", consent.GetProperty("state").GetString());
        }

        // Not confirmed yet: the confirmation goes out, the offer does not.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        var mail = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("Please confirm your subscription", mail.GetProperty("subject").GetString());
        Assert.Equal(("suppressed", "the opt-in to email (offers) awaits confirmation"), ((await MessageOfAsync("flash-sale")).GetProperty("status").GetString(), (await MessageOfAsync("flash-sale")).GetProperty("lastError").GetString()));

        // The link shows a button (a link scanner fetching it confirms nothing); pressing it confirms.
        var link = EmailDeliveryTests.Link(mail.GetProperty("html").GetString()!, "/c/");
        Assert.Contains("Yes, subscribe me", await _cairn.Anonymous.GetStringAsync(link, Cancel), StringComparison.Ordinal);
        Assert.Equal("pending", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel))[0].GetProperty("state").GetString());
        (await _cairn.Anonymous.PostAsync(link, null, Cancel)).Dispose();
        var confirmed = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel))[0];
        Assert.Equal(("opted_in", "double_opt_in"), (confirmed.GetProperty("state").GetString(), confirmed.GetProperty("source").GetString()));

        // The app repeating the (unconfirmed) opt-in in its identify traits does not make it pending again.
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"consent":{"email:offers":"opted_in"}}}""");
        Assert.Equal("opted_in", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel))[0].GetProperty("state").GetString());

        _time.Advance(TimeSpan.FromDays(1));
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        Assert.Contains("flash-sale", await MailboxSubjectsAsync());
    }

    [Fact]
    public async Task ConsentInIdentifyTraits_IsRecordedWithItsProof_OnceOnly_AndAnUnsubscribeStopsTheNextSend()
    {
        // The app sends consent with its identify call, as it already sends traits; the context says from where.
        const string identify = """{"userId":"ann","traits":{"consent":{"email":"opted_in","email:offers":{"state":"opted_out","source":"preference center"}}},"context":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (test)"}}""";
        await _cairn.SendAsync("identify", identify);
        var ann = await _cairn.ContactIdAsync("ann");
        var consent = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel)).EnumerateArray().ToDictionary(c => $"{c.GetProperty("channel").GetString()}:{(c.TryGetProperty("group", out var g) ? g.GetString() : null)}");
        Assert.Equal(("opted_in", "identify"), (consent["email:"].GetProperty("state").GetString(), consent["email:"].GetProperty("source").GetString()));
        Assert.Matches(@"^identify \S+; ip 203\.0\.113\.7; user agent Mozilla/5\.0 \(test\)$", consent["email:"].GetProperty("proof").GetString());
        Assert.Equal(("opted_out", "preference center"), (consent["email:offers"].GetProperty("state").GetString(), consent["email:offers"].GetProperty("source").GetString()));
        Assert.False((await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}", Cancel)).GetProperty("traits").TryGetProperty("consent", out _));

        // Apps repeat their traits on every identify: the same answers again are not new answers.
        await _cairn.SendAsync("identify", identify);
        Assert.Equal(2, (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent/history", Cancel)).GetArrayLength());

        // Opted out of offers: the flash sale (an offers template) is not sent; the newsletter is.
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        Assert.Equal("suppressed", (await MessageOfAsync("flash-sale")).GetProperty("status").GetString());

        // Customer.io's unsubscribed attribute withdraws email consent in the same input.
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"unsubscribed":true}}""");
        Assert.Equal("opted_out", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ann}/consent", Cancel)).EnumerateArray().Single(c => !c.TryGetProperty("group", out var g) || g.ValueKind == JsonValueKind.Null).GetProperty("state").GetString());
        Assert.Contains("consent_changed", await EventNamesAsync());

        // A malformed answer rejects its own message, not the batch.
        using var batch = await _cairn.Ingest.PostAsJsonAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "bob", traits = new { consent = new { fax = "opted_in" } } },
                new { type = "identify", userId = "cat", traits = new { consent = new { sms = "maybe" } } },
                new { type = "track", userId = "ann", @event = "page_viewed" },
            },
        }, Cancel);
        var result = await batch.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(
            ["'traits.consent.fax': the key is a channel (email, sms, push, webhook, in_app, whatsapp) or channel:group", "'traits.consent.sms': the state is \"opted_in\", \"opted_out\", true or false"],
            result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("reason").GetString()));
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task ErasingAPerson_DeletesEverythingAboutThem_KeepsTheirAddressesSuppressed_AndALaterProfileStartsEmpty()
    {
        // Ann browsed anonymously first (a contact merged into hers), gave a phone number, opened a ticket (a segment),
        // registered a device, got an email and waits in a journey (a timer).
        await _cairn.SendAsync("track", """{"anonymousId":"anon-ann","event":"page_viewed"}""");
        await _cairn.SendAsync("identify", """{"userId":"ann","anonymousId":"anon-ann","traits":{"phone":"+14155550123"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go_nudge"}""");
        await _cairn.DeliverAsync();
        await _cairn.SendAsync("track", """{"userId":"ann","event":"ticket_opened"}""");
        var ann = await _cairn.ContactIdAsync("ann");
        Assert.True(Core.ContactId.TryParse(ann, out var annId));
        (await _cairn.Admin.PostAsJsonAsync($"/api/contacts/{ann}/devices", new { token = "device-token-1", platform = "ios" }, Cancel)).EnsureSuccessStatusCode();
        Assert.Equal(["nudge"], await MailboxSubjectsAsync());

        using (var missing = await _cairn.Admin.PostAsJsonAsync("/api/erasures", new { email = "nobody@example.com" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var ambiguous = await _cairn.Admin.PostAsJsonAsync("/api/erasures", new { userId = "ann", email = "ann@example.com" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, ambiguous.StatusCode);
        }

        using var response = await _cairn.Admin.PostAsJsonAsync("/api/erasures", new { userId = "ann", reason = "ticket 42" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var erasure = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("erasures").EnumerateArray());
        Assert.Equal(ann, erasure.GetProperty("contactId").GetString());
        var deleted = erasure.GetProperty("deleted");
        Assert.Equal(2, deleted.GetProperty("contacts").GetInt64());
        Assert.Equal(2, deleted.GetProperty("identities").GetInt64());
        Assert.Equal((1, 1, 1, 1), (deleted.GetProperty("messages").GetInt64(), deleted.GetProperty("mailbox").GetInt64(), deleted.GetProperty("devices").GetInt64(), deleted.GetProperty("segment_members").GetInt64()));
        Assert.True(deleted.GetProperty("events").GetInt64() >= 5, deleted.ToString());
        Assert.True(deleted.GetProperty("timers").GetInt64() >= 1, deleted.ToString());

        // Nothing about her is left to read, by any of her identifiers.
        foreach (var path in new[] { $"/api/contacts/{ann}", $"/api/contacts/{ann}/events", "/api/contacts/lookup?userId=ann", "/api/contacts/lookup?anonymousId=anon-ann", "/api/contacts/lookup?email=ann%40example.com" })
        {
            using var gone = await _cairn.Admin.GetAsync(path, Cancel);
            Assert.True(gone.StatusCode == HttpStatusCode.NotFound, path);
        }

        Assert.Empty(await MailboxSubjectsAsync());
        Assert.Empty(await _cairn.Store.GetContactGroupAsync(annId, Cancel));
        Assert.Empty((await _cairn.Store.GetEventsAsync(annId, null, 100, Cancel)).Items);

        // Her addresses stay on the suppression list, masked and keyed, and the erasure is logged without them.
        var check = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=ann%40example.com", Cancel);
        Assert.True(check.GetProperty("suppressed").GetBoolean());
        Assert.StartsWith("erased", check.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions/check?address=%2B14155550123&channel=sms", Cancel)).GetProperty("suppressed").GetBoolean());
        var list = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/suppressions", Cancel)).GetProperty("items");
        Assert.Equal(["+14*******23", "a***@example.com"], list.EnumerateArray().Select(entry => entry.GetProperty("address").GetString()).Order(StringComparer.Ordinal));
        var log = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/erasures", Cancel);
        Assert.Equal(("ticket 42", ann), (log[0].GetProperty("reason").GetString(), log[0].GetProperty("contactId").GetString()));
        Assert.DoesNotContain("ann@example.com", log.GetRawText(), StringComparison.Ordinal);

        // Her timer's moment passes, and a delivery report for her message arrives late: nothing comes back to life.
        await _cairn.AdvanceAsync(_time, _time.GetUtcNow().AddDays(3));
        Assert.False(await _cairn.Contacts.RecordEventAsync(annId, "email_delivered", JsonSerializer.SerializeToElement(new { }), Cancel));
        using (var after = await _cairn.Admin.GetAsync($"/api/contacts/{ann}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        }

        // If she comes back, she is a new, empty profile, and marketing email to the erased address is not sent.
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com"}}""");
        var again = await _cairn.ContactIdAsync("ann");
        Assert.NotEqual(ann, again);
        Assert.Single(await EventNamesAsync());
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go"}""");
        await _cairn.DeliverAsync();
        Assert.Empty(await MailboxSubjectsAsync());
        Assert.Equal("suppressed", (await MessageOfAsync("flash-sale")).GetProperty("status").GetString());

        using var twice = await _cairn.Admin.DeleteAsync($"/api/contacts/{ann}", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, twice.StatusCode);
    }

    [Fact]
    public async Task ExportingAPerson_GivesEverythingHeldAboutThem_ThroughAnyIdentifier_AsJsonOrAZip_AndNothingOnceErased()
    {
        // Ann browsed anonymously first (a contact merged into hers), gave a phone number, got an email, waits in a
        // journey, opened a ticket (a segment) and registered a device. Bob is someone else.
        await _cairn.SendAsync("track", """{"anonymousId":"anon-ann","event":"page_viewed"}""");
        await _cairn.SendAsync("identify", """{"userId":"ann","anonymousId":"anon-ann","traits":{"phone":"+14155550123","first_name":"Ann"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"go_nudge"}""");
        await _cairn.DeliverAsync();
        await _cairn.SendAsync("track", """{"userId":"ann","event":"ticket_opened"}""");
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com"}}""");
        var ann = await _cairn.ContactIdAsync("ann");
        var bob = await _cairn.ContactIdAsync("bob");
        Assert.True(Core.ContactId.TryParse(ann, out var annId));
        var merged = Assert.Single(await _cairn.Store.GetContactGroupAsync(annId, Cancel), contact => contact.Id != annId).Id.ToString();
        (await _cairn.Admin.PostAsJsonAsync($"/api/contacts/{ann}/devices", new { token = "device-token-1", platform = "ios" }, Cancel)).EnsureSuccessStatusCode();
        (await _cairn.Admin.PutAsJsonAsync($"/api/contacts/{ann}/consent", new { channel = "sms", state = "opted_in", source = "checkout", proof = "form-7781" }, Cancel)).EnsureSuccessStatusCode();

        using var response = await _cairn.Admin.GetAsync($"/api/contacts/{ann}/export", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var export = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal([ann], export.GetProperty("contactIds").EnumerateArray().Select(id => id.GetString()));
        Assert.Equal([merged], export.GetProperty("mergedContactIds").EnumerateArray().Select(id => id.GetString()));
        var sections = export.GetProperty("sections");
        JsonElement[] Items(string section) => [.. sections.GetProperty(section).GetProperty("items").EnumerateArray()];
        Assert.Equal(new[] { ann, merged }.Order(StringComparer.Ordinal), Items("profiles").Select(profile => profile.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        var profile = Assert.Single(Items("profiles"), row => row.GetProperty("id").GetString() == ann);
        Assert.Equal(("ann@example.com", "+14155550123"), (profile.GetProperty("email").GetString(), profile.GetProperty("phone").GetString()));
        Assert.Contains("form-7781", profile.GetProperty("state").GetProperty("consents").GetRawText(), StringComparison.Ordinal);
        Assert.Equal(["ann", "anon-ann"], Items("identities").Select(identity => identity.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
        var events = Items("events").Select(row => row.GetProperty("name").GetString()).ToList();
        Assert.Contains("page_viewed", events);
        Assert.Contains("ticket_opened", events);
        Assert.Contains("form-7781", Assert.Single(Items("events"), row => row.GetProperty("name").GetString() == "consent_changed").GetProperty("json").GetRawText(), StringComparison.Ordinal);
        var message = Assert.Single(Items("messages"));
        Assert.Equal(("nudge", "ann@example.com"), (message.GetProperty("subject").GetString(), message.GetProperty("recipient").GetString()));
        Assert.Equal("go_nudge", message.GetProperty("payload").GetProperty("event").GetString());
        Assert.Contains("Still there?", Assert.Single(Items("developmentMailbox")).GetProperty("raw").GetString(), StringComparison.Ordinal);
        Assert.Equal("device-token-1", Assert.Single(Items("devices")).GetProperty("token").GetString());
        Assert.Equal("open-support-ticket", Assert.Single(Items("segmentMemberships")).GetProperty("segment_id").GetString());
        Assert.Contains(Items("enrollments"), enrollment => enrollment.GetProperty("journey_id").GetString() == "nudge");
        Assert.NotEmpty(Items("scheduledSteps"));
        Assert.Empty(Items("suppressions"));
        Assert.DoesNotContain(bob, export.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("bob@example.com", export.GetRawText(), StringComparison.Ordinal);

        // The merged contact's id, her userId, email and phone number export the same person.
        foreach (var path in new[] { $"/api/contacts/{merged}/export", "/api/exports?userId=ann", "/api/exports?email=ANN%40example.com", "/api/exports?phone=%2B14155550123", $"/api/exports?contactId={merged}" })
        {
            var again = await _cairn.Admin.GetFromJsonAsync<JsonElement>(path, Cancel);
            Assert.True(again.GetProperty("contactIds").EnumerateArray().Select(id => id.GetString()).SequenceEqual([ann]), path);
            Assert.Equal(Items("events").Length, again.GetProperty("sections").GetProperty("events").GetProperty("items").GetArrayLength());
        }

        // The ZIP: the same document and a README that explains every part of it.
        using (var zip = await _cairn.Admin.GetAsync($"/api/contacts/{ann}/export?format=zip", Cancel))
        {
            Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
            using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(await zip.Content.ReadAsByteArrayAsync(Cancel)));
            Assert.Equal(["README.txt", "export.json"], archive.Entries.Select(entry => entry.FullName));
            using var readme = new StreamReader(archive.GetEntry("README.txt")!.Open());
            var text = await readme.ReadToEndAsync(Cancel);
            foreach (var section in sections.EnumerateObject())
            {
                Assert.Contains($"- {section.Name}: ", text, StringComparison.Ordinal);
            }

            using var json = await JsonDocument.ParseAsync(archive.GetEntry("export.json")!.Open(), cancellationToken: Cancel);
            Assert.Equal(Items("events").Length, json.RootElement.GetProperty("sections").GetProperty("events").GetProperty("items").GetArrayLength());
        }

        // Bad requests, unknown people.
        foreach (var (path, status) in new[]
        {
            ($"/api/contacts/{ann}/export?format=pdf", HttpStatusCode.BadRequest), ("/api/exports", HttpStatusCode.BadRequest),
            ("/api/exports?userId=ann&email=ann%40example.com", HttpStatusCode.BadRequest), ("/api/exports?email=not-an-address", HttpStatusCode.BadRequest),
            ("/api/exports?email=nobody%40example.com", HttpStatusCode.NotFound), ($"/api/contacts/{Guid.NewGuid():N}/export", HttpStatusCode.NotFound),
            ("/api/contacts/not-an-id/export", HttpStatusCode.NotFound),
        })
        {
            using var refused = await _cairn.Admin.GetAsync(path, Cancel);
            Assert.True(refused.StatusCode == status, $"{path}: {(int)refused.StatusCode}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // Once she is erased, an export of her says so, and holds nothing.
        (await _cairn.Admin.PostAsJsonAsync("/api/erasures", new { userId = "ann", reason = "ticket 42" }, Cancel)).EnsureSuccessStatusCode();
        foreach (var path in new[] { $"/api/contacts/{ann}/export", $"/api/exports?contactId={ann}" })
        {
            using var erased = await _cairn.Admin.GetAsync(path, Cancel);
            Assert.Equal(HttpStatusCode.NotFound, erased.StatusCode);
            Assert.Contains("was erased", await erased.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }
    }

    private async Task<JsonElement> NudgeAsync() =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{await _cairn.ContactIdAsync("ann")}/journeys", Cancel)).GetProperty("active").EnumerateArray().Single(e => e.GetProperty("journey").GetString() == "nudge");

    private async Task<List<string>> MailboxSubjectsAsync() =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel)).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("subject").GetString()!).Order(StringComparer.Ordinal)];

    private async Task<JsonElement> MessageOfAsync(string journey) =>
        (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={await _cairn.ContactIdAsync("ann")}", Cancel)).GetProperty("items").EnumerateArray().First(m => m.GetProperty("journeyId").GetString() == journey);

    private async Task<List<string>> EventNamesAsync() =>
        [.. (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{await _cairn.ContactIdAsync("ann")}/events", Cancel)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
}

public sealed class SqliteOrchestratorApiTests : OrchestratorApiTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlOrchestratorApiTests(PostgresFixture postgres) : OrchestratorApiTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
