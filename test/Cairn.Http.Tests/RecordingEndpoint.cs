using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Cairn.Http.Tests;

/// <summary>One request a <see cref="RecordingEndpoint"/> received.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Text)
{
    public JsonElement Body => JsonDocument.Parse(Text).RootElement.Clone();

    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : string.Empty;
}

/// <summary>
/// A real HTTP server on a loopback port that records every request (a CRM hook, a Twilio- or FCM-compatible API)
/// and answers with <see cref="Respond"/>, or 503 for the first <c>failures</c> requests.
/// </summary>
internal sealed class RecordingEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failures;

    private RecordingEndpoint(WebApplication app, int failures)
    {
        _app = app;
        _failures = failures;
    }

    public ConcurrentQueue<RecordedRequest> Received { get; } = new();

    /// <summary>How to answer a request (after the failures): 200 with <c>{}</c> unless set.</summary>
    public Func<RecordedRequest, IResult> Respond { get; set; } = _ => Results.Json(new { });

    /// <summary>Awaited before answering, with the token of the request's abort: a test holds a delivery in flight with it.</summary>
    public Func<RecordedRequest, CancellationToken, Task>? Hold { get; set; }

    public string Url => _app.Urls.First();

    public static async Task<RecordingEndpoint> StartAsync(int failures = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var endpoint = new RecordingEndpoint(app, failures);
        app.Map("/{**path}", async (HttpContext context) =>
        {
            if (Interlocked.Decrement(ref endpoint._failures) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            using var reader = new StreamReader(context.Request.Body);
            var request = new RecordedRequest(
                context.Request.Method,
                context.Request.Path.Value!,
                context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString()),
                await reader.ReadToEndAsync(context.RequestAborted));
            endpoint.Received.Enqueue(request);
            if (endpoint.Hold is { } hold)
            {
                await hold(request, context.RequestAborted);
            }

            return endpoint.Respond(request);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return endpoint;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
