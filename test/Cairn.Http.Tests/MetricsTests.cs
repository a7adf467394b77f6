using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cairn.Http.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary><c>/metrics</c>: the Prometheus text of this server's counters, behind the metrics key or an API key.</summary>
public sealed class MetricsTests
{
    private const string MetricsKey = "cmk_test_metrics";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_AfterEventsAndADelivery_CountThem()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var cairn = await TestCairn.StartAsync(time: time, keys: keys => keys.MetricsKey = MetricsKey);
        await cairn.PutDocumentAsync("templates/cart-email", EmailDeliveryTests.Template);
        await cairn.PutDocumentAsync("journeys/cart", EmailDeliveryTests.Journey);
        using (var published = await cairn.Admin.PostAsync("/api/journeys/cart/publish", null, Cancel))
        {
            Assert.True(published.IsSuccessStatusCode);
        }

        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"email":"ann@example.com","first_name":"Ann"}}""");
        await cairn.SendAsync("track", """{"messageId":"m-1","userId":"ann","event":"cart_abandoned","properties":{"cart_value":120}}""");
        await cairn.SendAsync("track", """{"messageId":"m-1","userId":"ann","event":"cart_abandoned","properties":{"cart_value":120}}""");
        using (var batch = await cairn.Ingest.PostAsync("/v1/batch", Json("""{"batch":[{"type":"track","userId":"bob","event":"viewed"},{"type":"track","userId":"bob"}]}"""), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        }

        using (var refused = await cairn.Anonymous.PostAsync("/v1/track", Json("""{"userId":"eve","event":"x"}"""), Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        await cairn.DeliverAsync();

        var text = await ScrapeAsync(cairn, MetricsKey);
        var metrics = Parse(text);
        Assert.Equal(1, metrics["cairn_ingest_events_total{cairn_endpoint=\"identify\",cairn_outcome=\"stored\"}"]);
        Assert.Equal(1, metrics["cairn_ingest_events_total{cairn_endpoint=\"track\",cairn_outcome=\"stored\"}"]);
        Assert.Equal(1, metrics["cairn_ingest_events_total{cairn_endpoint=\"track\",cairn_outcome=\"duplicate\"}"]);
        Assert.Equal(1, metrics["cairn_ingest_events_total{cairn_endpoint=\"batch\",cairn_outcome=\"stored\"}"]);
        Assert.Equal(1, metrics["cairn_ingest_rejected_total{cairn_endpoint=\"batch\",cairn_reason=\"invalid\"}"]);
        Assert.Equal(1, metrics["cairn_ingest_rejected_total{cairn_endpoint=\"track\",cairn_reason=\"unauthorized\"}"]);

        // The development mailbox is the inbox: the journey's email is delivered.
        Assert.Equal(1, metrics["cairn_messages_total{cairn_channel=\"email\",cairn_status=\"delivered\"}"]);
        Assert.Equal(1, metrics["cairn_delivery_send_duration_seconds_count{cairn_channel=\"email\"}"]);
        Assert.DoesNotContain(metrics.Keys, key => key.StartsWith("cairn_messages_render_errors_total", StringComparison.Ordinal));

        // Every committed input (3 accepted messages, the delivery's email_delivered event) is counted; the commits'
        // latency and size are histograms; the queues are empty now.
        Assert.Equal(metrics["cairn_partition_inputs_total"], metrics["cairn_partition_batch_size_sum"]);
        Assert.True(metrics["cairn_partition_inputs_total"] >= 4);
        Assert.Equal(metrics["cairn_partition_batch_size_count"], metrics["cairn_partition_commit_duration_seconds_count"]);
        Assert.Equal(metrics["cairn_partition_commit_duration_seconds_count"], metrics["cairn_partition_commit_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(0, metrics["cairn_partition_queue_depth{cairn_partition=\"0\"}"]);
        Assert.Contains("# TYPE cairn_partition_commit_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE cairn_messages_total counter\n", text, StringComparison.Ordinal);

        // ASP.NET Core's own HTTP server metrics are there too.
        Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterATimerFires_CountItAndItsLag()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var cairn = await TestCairn.StartAsync(time: time);
        await cairn.PutDocumentAsync("journeys/wait", """
            id: wait
            name: Wait
            category: operational
            trigger: { event: signed_up }
            steps:
              - id: pause
                wait: 1h
                next: done
              - id: done
                exit: true
            """);
        using (var published = await cairn.Admin.PostAsync("/api/journeys/wait/publish", null, Cancel))
        {
            Assert.True(published.IsSuccessStatusCode);
        }

        await cairn.SendAsync("track", """{"userId":"ann","event":"signed_up"}""");

        // The timer is due at 10:00; the loop finds it 30 s late.
        time.SetUtcNow(new DateTimeOffset(2026, 11, 24, 10, 0, 30, TimeSpan.Zero));
        await cairn.Timers.FireDueTimersAsync(Cancel);
        await cairn.Engine.WhenIdleAsync(Cancel);

        var metrics = Parse(await ScrapeAsync(cairn, TestCairn.ApiKey));
        Assert.Equal(1, metrics["cairn_timers_due_total"]);
        Assert.Equal(1, metrics["cairn_timers_fired_total"]);
        Assert.Equal(30, metrics["cairn_timers_lag_seconds_sum"]);
        Assert.Equal(0, metrics["cairn_timers_lag_seconds_bucket{le=\"10\"}"]);
        Assert.Equal(1, metrics["cairn_timers_lag_seconds_bucket{le=\"30\"}"]);
    }

    [Fact]
    public async Task Metrics_WithoutAValidKey_Is401()
    {
        await using var cairn = await TestCairn.StartAsync(keys: keys => keys.MetricsKey = MetricsKey);
        using (var anonymous = await cairn.Anonymous.GetAsync("/metrics", Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // The write key opens ingestion only.
        using var withWriteKey = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        withWriteKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestCairn.WriteKey);
        using (var refused = await cairn.Anonymous.SendAsync(withWriteKey, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The metrics key opens /metrics and nothing else.
        using var metricsKeyOnApi = new HttpRequestMessage(HttpMethod.Get, "/api/contacts");
        metricsKeyOnApi.Headers.Authorization = new AuthenticationHeaderValue("Bearer", MetricsKey);
        using (var api = await cairn.Anonymous.SendAsync(metricsKeyOnApi, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", MetricsKey);
        using var scraped = await cairn.Anonymous.SendAsync(scrape, Cancel);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Equal(PrometheusExposition.ContentType, scraped.Content.Headers.ContentType!.ToString());

        // Refusals are logged with the route, never the key.
        Assert.Contains(cairn.Logs.Lines, line => line.StartsWith("Authentication failed: GET /metrics:", StringComparison.Ordinal));
        Assert.DoesNotContain(cairn.Logs.Lines, line => line.Contains(TestCairn.WriteKey, StringComparison.Ordinal));
    }

    /// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the real <c>cairn serve</c> exports its traces and metrics over OTLP.</summary>
    [Fact]
    public async Task Serve_WithAnOtlpEndpoint_ExportsTracesAndMetrics()
    {
        await using var collector = await RecordingEndpoint.StartAsync();
        var traces = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var metrics = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        collector.Respond = request =>
        {
            switch (request.Path)
            {
                case "/v1/traces":
                    traces.TrySetResult();
                    break;
                case "/v1/metrics":
                    metrics.TrySetResult();
                    break;
            }

            return Microsoft.AspNetCore.Http.Results.Ok();
        };

        await using var server = await EndToEnd.CairnProcess.StartAsync(postgres: null, environment: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        using (var tracked = await server.Client.PostAsync("/v1/track", Json("""{"userId":"ann","event":"signed_up"}"""), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, tracked.StatusCode);
        }

        await Task.WhenAll(traces.Task, metrics.Task).WaitAsync(TimeSpan.FromSeconds(60), Cancel);
        Assert.Contains(collector.Received, request => request.Path == "/v1/traces" && request.Header("content-type") == "application/x-protobuf");
    }

    private static async Task<string> ScrapeAsync(TestCairn cairn, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await cairn.Anonymous.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    /// <summary>Each sample line's series (name and labels) and value.</summary>
    private static Dictionary<string, double> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => (Series: line[..line.LastIndexOf(' ')], Value: line[(line.LastIndexOf(' ') + 1)..]))
            .ToDictionary(sample => sample.Series, sample => double.Parse(sample.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
