using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// Two servers on one database: the one started second takes every partition over, and the first's next commit is
/// refused (fenced) instead of writing contacts the second now writes. The first then answers 503 with the reason,
/// on ingestion and on <c>/readyz</c>, and nothing it was refused is stored.
/// </summary>
public abstract class FencingTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-fencing-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    protected abstract Task<string?> PostgresAsync();

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ASecondServerOnTheSameDatabase_FencesTheFirst_WhoseRefusedEventsAreNotStored()
    {
        var postgres = await PostgresAsync();
        await using (var first = await TestCairn.StartAsync(dataDirectory: postgres is null ? _directory : null, postgres: postgres))
        {
            await first.SendAsync("track", """{"userId":"u-1","event":"Signed Up","messageId":"m-1"}""");

            await using var second = await TestCairn.StartAsync(dataDirectory: postgres is null ? _directory : null, postgres: postgres);
            Assert.NotEqual(first.Engine.NodeId, second.Engine.NodeId);

            // The first server's next commit is refused: a 503 naming the server that took over, and nothing stored.
            using (var refused = await first.Ingest.PostAsync("/v1/track", Json("""{"userId":"u-1","event":"Viewed","messageId":"m-2"}"""), Cancel))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
                Assert.Contains($"was taken over by {second.Engine.NodeId}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }

            Assert.Null(await second.Store.GetEventAsync("m-2", Cancel));
            Assert.False(first.Engine.IsReady);
            using (var ready = await first.Anonymous.GetAsync("/readyz", Cancel))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("another Cairn server writes to the same database", await ready.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            }

            // Later inputs are turned away at once, with the same reason; the operator's log says it once, as critical.
            using (var later = await first.Ingest.PostAsync("/v1/batch", Json("""{"batch":[{"type":"track","userId":"u-2","event":"Viewed","messageId":"m-3"}]}"""), Cancel))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, later.StatusCode);
                Assert.Contains("taken over", await later.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            }

            Assert.Single(first.Logs.Lines, line => line.Contains("was taken over by", StringComparison.Ordinal) && line.Contains("accepts no more inputs", StringComparison.Ordinal));

            // The client retries on the server that took over: stored once, beside the first server's earlier event.
            await second.SendAsync("track", """{"userId":"u-1","event":"Viewed","messageId":"m-2"}""");
            using (var ready = await second.Anonymous.GetAsync("/readyz", Cancel))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            Assert.NotNull(await second.Store.GetEventAsync("m-1", Cancel));
            Assert.NotNull(await second.Store.GetEventAsync("m-2", Cancel));
            Assert.Null(await second.Store.GetEventAsync("m-3", Cancel));
            var id = second.Engine.FindContact(Cairn.Core.Contacts.IdentityKey.User("u-1"));
            var contact = await second.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{id}", Cancel);
            Assert.Equal(2, contact.GetProperty("eventCount").GetInt32());
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

public sealed class SqliteFencingTests : FencingTests
{
    protected override Task<string?> PostgresAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlFencingTests(PostgresFixture postgres) : FencingTests
{
    protected override async Task<string?> PostgresAsync()
    {
        await postgres.SkipIfUnavailableAsync();
        return await postgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
    }
}
