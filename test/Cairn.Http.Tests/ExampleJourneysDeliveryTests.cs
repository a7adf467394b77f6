using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Messaging;
using Cairn.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The example journeys deliver for real: cart recovery's emails to an SMTP server and its SMS to a Twilio-compatible
/// API — unless the email was opened, which a pixel request over HTTP reports in time for the journey's wait_for — and
/// post-purchase onboarding's emails, push (an FCM-compatible API) and in-app message.
/// </summary>
public sealed class ExampleJourneysDeliveryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private SmtpSink _smtp = null!;
    private RecordingEndpoint _providers = null!;
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _smtp = await SmtpSink.StartAsync();
        _providers = await RecordingEndpoint.StartAsync();
        _providers.Respond = request => request.Path.StartsWith("/twilio", StringComparison.Ordinal)
            ? Results.Json(new { sid = "SM1", status = "queued" }, statusCode: 201)
            : Results.Json(new { name = "projects/shop/messages/1" });
        _cairn = await TestCairn.StartAsync(time: _time, messaging: options =>
        {
            options.Smtp.Host = "127.0.0.1";
            options.WorkspaceAddress = "Cairn Labs, 12 Rue Oberkampf, 75011 Paris";
            options.Smtp.Port = _smtp.Port;
            options.Smtp.Security = SmtpSecurity.None;
            options.Sms.BaseUrl = new Uri(_providers.Url + "/twilio/");
            options.Sms.AccountSid = "AC1";
            options.Sms.AuthToken = "token";
            options.Sms.From = "+15005550006";
            options.Push.BaseUrl = new Uri(_providers.Url + "/fcm/");
            options.Push.ProjectId = "shop";
            options.Push.AccessToken = "ya29.x";
        });
        await _cairn.ApplyAsync(TestCairn.ExampleDocuments());
        await _cairn.Rollouts.RunRolloutsAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        await _providers.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task CartRecovery_EmailsAll_OnlyTheShopperWhoDidNotOpenAndOptedInToTextsGetsTheSms()
    {
        // Holdouts (5 %, by contact id) get nothing: the shoppers are contacts outside it. The example policy requires
        // an opt-in for marketing texts: Ann and Bob gave it, Cem did not.
        var ann = await ShopperAsync("ann", "Ann", "+14155550101");
        var bob = await ShopperAsync("bob", "Bob", "+14155550102");
        var cem = await ShopperAsync("cem", "Cem", "+14155550103", smsOptIn: false);
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{ann}}}","event":"cart_abandoned","properties":{"cart_value":120}}""");
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{bob}}}","event":"cart_abandoned","properties":{"cart_value":80}}""");
        await _cairn.SendAsync("track", $$$"""{"userId":"{{{cem}}}","event":"cart_abandoned","properties":{"cart_value":60}}""");
        await _cairn.AdvanceAsync(_time, T0.AddHours(1));
        await _cairn.DeliverAsync();
        var emails = await _smtp.WaitForAsync(3);
        Assert.All(emails, email => Assert.Equal("You left something in your cart", email.Subject));
        Assert.Contains("worth $120", emails.Single(email => email.To.ToString().Contains("ann", StringComparison.Ordinal)).HtmlBody, StringComparison.Ordinal);

        // Ann opens hers (her mail client loads the pixel); Bob does not.
        var html = emails.Single(email => email.To.ToString().Contains("ann", StringComparison.Ordinal)).HtmlBody!;
        using (var pixel = await _cairn.Anonymous.GetAsync(EmailDeliveryTests.Link(html, "/t/o/"), Cancel))
        {
            Assert.True(pixel.IsSuccessStatusCode);
        }

        await _cairn.Engine.WhenIdleAsync(Cancel);
        await _cairn.AdvanceAsync(_time, T0.AddHours(5).AddMinutes(1));
        await _cairn.DeliverAsync();

        var sms = Assert.Single(_providers.Received, request => request.Path.EndsWith("/Messages.json", StringComparison.Ordinal));
        Assert.Contains("To=%2B14155550102", sms.Text, StringComparison.Ordinal);
        Assert.Contains("your+cart+is+still+waiting", sms.Text, StringComparison.Ordinal);

        // Cem did not open either, but never opted in to texts: his SMS is suppressed, with the reason.
        var cemId = await _cairn.ContactIdAsync(cem);
        var cemSms = (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages?contactId={cemId}", Cancel)).GetProperty("items").EnumerateArray().Single(message => message.GetProperty("channel").GetString() == "sms");
        Assert.Equal(("suppressed", "no opt-in for sms (offers)"), (cemSms.GetProperty("status").GetString(), cemSms.GetProperty("lastError").GetString()));
    }

    /// <summary>
    /// Identifies a shopper outside cart recovery's holdout (decided by the random contact id): a contact that lands in
    /// it is left aside and another user id tried. Returns the user id.
    /// </summary>
    private async Task<string> ShopperAsync(string name, string firstName, string phone, bool smsOptIn = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            var userId = attempt == 0 ? name : $"{name}-{attempt}";
            var consent = smsOptIn ? ""","consent":{"sms":"opted_in"}""" : string.Empty;
            await _cairn.SendAsync("identify", $$$"""{"userId":"{{{userId}}}","traits":{"email":"{{{name}}}@example.com","first_name":"{{{firstName}}}","phone":"{{{phone}}}"{{{consent}}}}}""");
            Assert.True(Core.ContactId.TryParse(await _cairn.ContactIdAsync(userId), out var id));
            if (Core.Journeys.Engine.JourneyDecider.Bucket(id, "cart-recovery:holdout") >= 5)
            {
                return userId;
            }
        }
    }

    [Fact]
    public async Task PostPurchaseOnboarding_SendsEmailPushAndInApp()
    {
        await _cairn.SendAsync("identify", """{"userId":"ned","traits":{"email":"ned@example.com","first_name":"Ned","timezone":"Europe/London"}}""");
        var ned = await _cairn.ContactIdAsync("ned");
        (await _cairn.Admin.PostAsJsonAsync($"/api/contacts/{ned}/devices", new { token = "ned-phone", platform = "ios" }, Cancel)).Dispose();
        await _cairn.SendAsync("track", """{"userId":"ned","event":"order_completed","properties":{"first_order":true,"total":35}}""");
        await _cairn.DeliverAsync();
        Assert.Equal("Welcome aboard — three steps to get started", Assert.Single(await _smtp.WaitForAsync(1)).Subject);

        // No setup in 3 days: a push nudge; setup then done: the next-steps email; no feature use in 3 days: in-app.
        await _cairn.AdvanceAsync(_time, T0.AddDays(3).AddMinutes(1));
        await _cairn.DeliverAsync();
        var push = Assert.Single(_providers.Received, request => request.Path.StartsWith("/fcm/", StringComparison.Ordinal)).Body.GetProperty("message");
        Assert.Equal(("ned-phone", "Finish your setup", "app://setup"), (push.GetProperty("token").GetString(), push.GetProperty("notification").GetProperty("title").GetString(), push.GetProperty("data").GetProperty("deep_link").GetString()));

        await _cairn.SendAsync("track", """{"userId":"ned","event":"setup_completed"}""");
        await _cairn.DeliverAsync();
        Assert.Equal("Your next steps", (await _smtp.WaitForAsync(2))[1].Subject);
        await _cairn.AdvanceAsync(_time, T0.AddDays(6).AddMinutes(2));
        await _cairn.DeliverAsync();

        var settings = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/settings/messaging", Cancel);
        var token = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(settings.GetProperty("inboxSecret").GetString()!), Encoding.UTF8.GetBytes("ned")));
        var inbox = await _cairn.Anonymous.GetFromJsonAsync<JsonElement>($"/api/inbox/ned?token={token}", Cancel);
        var item = Assert.Single(inbox.GetProperty("items").EnumerateArray());
        Assert.Equal(("Did you know?", "https://shop.example.com/journeys/new"), (item.GetProperty("title").GetString(), item.GetProperty("action").GetProperty("url").GetString()));
    }
}
