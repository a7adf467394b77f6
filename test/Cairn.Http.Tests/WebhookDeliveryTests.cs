using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Testing;
using Microsoft.AspNetCore.Http;

namespace Cairn.Http.Tests;

/// <summary>
/// Outgoing webhooks — a journey's webhook step and a webhook template — signed per Standard Webhooks and verified by
/// the specification's reference library (a different implementation), retried on 5xx, dead-lettered when the
/// retries run out, and replayed from the dead-letter queue. On the real clock: the reference library checks that
/// the signature's timestamp is recent.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private RecordingEndpoint _hook = null!;
    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _hook = await RecordingEndpoint.StartAsync();
        _cairn = await TestCairn.StartAsync(messaging: options =>
        {
            options.WebhookMaxAttempts = 3;
            options.WebhookRetryDelay = TimeSpan.Zero;
        });
        await _cairn.PutDocumentAsync("templates/crm-sync", $$$"""
            kind: template
            id: crm-sync
            channel: webhook
            url: "{{{_hook.Url}}}/crm/{{ contact.id }}"
            method: PUT
            headers: { X-Plan: "{{ contact.plan | default: 'free' }}" }
            body: '{"cart": {{ event.cart_value | default: 0 }}, "email": {{ contact.email | json }} }'
            """);
        await _cairn.PutDocumentAsync("journeys/sync", $$"""
            id: sync
            name: Sync
            category: operational
            trigger: { event: cart_abandoned }
            entry: { reentry: always }
            steps:
              - id: notify
                webhook: { url: "{{_hook.Url}}/step" }
                next: crm
              - id: crm
                send: { channel: webhook, template: crm-sync }
                next: done
              - id: done
                exit: true
            """);
        (await _cairn.Admin.PostAsync("/api/journeys/sync/publish", null, Cancel)).Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        await _hook.DisposeAsync();
    }

    [Fact]
    public async Task WebhooksAreSignedPerStandardWebhooks_AsAnIndependentImplementationVerifies()
    {
        await _cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","plan":"pro"}}""");
        await _cairn.SendAsync("track", """{"userId":"ann","event":"cart_abandoned","properties":{"cart_value":42}}""");
        await _cairn.DeliverAsync();

        var ann = await _cairn.ContactIdAsync("ann");
        var step = _hook.Received.Single(r => r.Path == "/step");
        Assert.Equal(("journey.webhook", ann, "notify"), (step.Body.GetProperty("type").GetString(), step.Body.GetProperty("data").GetProperty("contact").GetProperty("id").GetString(), step.Body.GetProperty("data").GetProperty("journey").GetProperty("step").GetString()));
        Assert.Equal(42, step.Body.GetProperty("data").GetProperty("payload").GetProperty("properties").GetProperty("cart_value").GetInt32());
        var crm = _hook.Received.Single(r => r.Path == $"/crm/{ann}");
        Assert.Equal(("PUT", "pro", "{\"cart\": 42, \"email\": \"ann@example.com\" }"), (crm.Method, crm.Header("X-Plan"), crm.Text));

        var secret = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/settings/messaging", Cancel)).GetProperty("webhookSecret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var requests = _hook.Received.ToList();
        var tampered = requests[0] with { Text = requests[0].Text.Replace("42", "43", StringComparison.Ordinal) };
        Assert.Equal(["ok", "ok", "invalid: No matching signature found"], await VerifyAsync(secret, [.. requests, tampered]));
        Assert.All(requests, request => Assert.EndsWith(request.Path == "/step" ? ":notify" : ":crm", request.Header("webhook-id"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWebhookThatKeepsFailing_IsDeadLettered_AndCanBeReplayed()
    {
        _hook.Respond = _ => Results.StatusCode(StatusCodes.Status502BadGateway);
        await _cairn.SendAsync("identify", """{"userId":"bob","traits":{"email":"bob@example.com"}}""");
        await _cairn.SendAsync("track", """{"userId":"bob","event":"cart_abandoned"}""");
        for (var pass = 0; pass < 3; pass++)
        {
            await _cairn.DeliverAsync();
        }

        var dead = (await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dead-letters?channel=webhook", Cancel)).EnumerateArray().ToList();
        Assert.Equal(2, dead.Count);
        Assert.All(dead, message => Assert.Equal((3, "gave up after 3 attempts: webhook: HTTP 502 Bad Gateway"), (message.GetProperty("attempts").GetInt32(), message.GetProperty("lastError").GetString())));
        Assert.Equal(6, _hook.Received.Count);

        _hook.Respond = _ => Results.Ok();
        var id = dead[0].GetProperty("messageId").GetString()!;
        using (var retried = await _cairn.Admin.PostAsync($"/api/messages/{Uri.EscapeDataString(id)}/retry", null, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        await _cairn.DeliverAsync();
        Assert.Equal("sent", (await _cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/messages/{Uri.EscapeDataString(id)}", Cancel)).GetProperty("status").GetString());
        Assert.Single((await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dead-letters", Cancel)).EnumerateArray());
        using var again = await _cairn.Admin.PostAsync($"/api/messages/{Uri.EscapeDataString(id)}/retry", null, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    /// <summary>Runs the reference library over the requests; one line per request.</summary>
    private static async Task<IReadOnlyList<string>> VerifyAsync(string secret, IReadOnlyList<RecordedRequest> requests)
    {
        var input = Path.Combine(Path.GetTempPath(), $"webhooks-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllLinesAsync(input, requests.Select(r => JsonSerializer.Serialize(new { id = r.Header("webhook-id"), timestamp = r.Header("webhook-timestamp"), signature = r.Header("webhook-signature"), body = r.Text })), Cancel);
        try
        {
            var (code, output) = await ProcessRunner.RunAsync("bash", ["-c", $"node webhook-verify.mjs '{secret}' < '{input}'"], Path.Combine(Repository.Root, "test", "node"), cancellationToken: Cancel);
            Assert.True(code == 0, output);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            File.Delete(input);
        }
    }
}
