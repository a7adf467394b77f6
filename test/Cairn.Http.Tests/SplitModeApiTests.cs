using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Http.Tests;

/// <summary>
/// The automatic winner through the real in-process server on a fake clock: arms take their percentages until the
/// rule's wait and minimum are reached, then the split runner decides the winner once, records it with its numbers,
/// and every new entrant takes it — also after a restart.
/// </summary>
public sealed class SplitModeApiTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private const string Journey = """
        id: subject-test
        name: Subject test
        trigger: { event: signed_up }
        entry: { reentry: always }
        steps:
          - id: pick
            split:
              - { arm: a, percent: 50, next: hold }
              - { arm: b, percent: 50, next: hold }
            winner: { metric: goal, after: 1h, min_per_arm: 5 }
          - id: hold
            wait: 7d
            next: end
        goal: { event: order_completed, within: 7d }
        """;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AutomaticWinner_SwitchesNewEntrantsAfterItsThreshold_IsVisibleWithItsNumbers_AndSurvivesARestart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cairn-splits-" + Guid.NewGuid().ToString("N"));
        try
        {
            var time = new FakeTimeProvider(T0);
            var contacts = new List<(string User, string Arm)>();
            await using (var cairn = await TestCairn.StartAsync(dataDirectory: directory, time: time))
            {
                await cairn.ApplyAsync([("subject-test.yaml", Journey)]);

                // 30 sign-ups take their percentages; arm b's contacts order, a's do not.
                for (var i = 0; i < 30; i++)
                {
                    await cairn.SendAsync("track", $$"""{"userId":"s{{i}}","event":"signed_up"}""");
                    contacts.Add(($"s{i}", await ArmAsync(cairn, $"s{i}")));
                }

                Assert.All(contacts, contact => Assert.Equal(JourneyDecider.Bucket(cairn.Engine.FindContact(IdentityKey.User(contact.User))!.Value, "subject-test:pick") < 50 ? "a" : "b", contact.Arm));
                Assert.InRange(contacts.Count(contact => contact.Arm == "a"), 5, 25);
                foreach (var (user, _) in contacts.Where(contact => contact.Arm == "b"))
                {
                    await cairn.SendAsync("track", $$"""{"userId":"{{user}}","event":"order_completed"}""");
                }

                // Not yet: the rule waits an hour from the first entry.
                time.Advance(TimeSpan.FromMinutes(59));
                await RefreshAsync(cairn);
                var pending = Assert.Single((await SplitsAsync(cairn)).GetProperty("splits").EnumerateArray());
                Assert.Equal("winner", pending.GetProperty("mode").GetString());
                Assert.Equal(JsonValueKind.Null, pending.GetProperty("decision").ValueKind);
                Assert.StartsWith("winner pending (after 1h, 5 per arm)", pending.GetProperty("state").GetString(), StringComparison.Ordinal);
                await cairn.SendAsync("track", """{"userId":"early","event":"signed_up"}""");
                Assert.EndsWith("winner pending)", await ReasonAsync(cairn, "early"), StringComparison.Ordinal);
                contacts.Add(("early", await ArmAsync(cairn, "early")));

                // An hour after the first entry, with 5 per arm: b is decided, once, with the numbers.
                time.Advance(TimeSpan.FromMinutes(2));
                await RefreshAsync(cairn);
                var decidedAt = time.GetUtcNow();
                var decided = Assert.Single((await SplitsAsync(cairn)).GetProperty("splits").EnumerateArray());
                AssertDecision(decided, contacts, decidedAt);

                time.Advance(TimeSpan.FromMinutes(5));
                await RefreshAsync(cairn);
                AssertDecision(Assert.Single((await SplitsAsync(cairn)).GetProperty("splits").EnumerateArray()), contacts, decidedAt);

                for (var i = 0; i < 12; i++)
                {
                    await cairn.SendAsync("track", $$"""{"userId":"late{{i}}","event":"signed_up"}""");
                    Assert.Equal("b", await ArmAsync(cairn, $"late{i}"));
                }

                Assert.StartsWith("arm 'b': automatic winner decided", await ReasonAsync(cairn, "late0"), StringComparison.Ordinal);

                // Existing enrollments keep their arm.
                Assert.Equal(contacts.Select(contact => contact.Arm), await Task.WhenAll(contacts.Select(contact => ArmAsync(cairn, contact.User))));
            }

            // After a restart, the recorded decision is read back: visible, and new entrants still take b.
            var later = new FakeTimeProvider(T0.AddHours(3));
            await using (var cairn = await TestCairn.StartAsync(dataDirectory: directory, time: later))
            {
                var splits = Assert.Single((await SplitsAsync(cairn)).GetProperty("splits").EnumerateArray());
                Assert.Equal("b", splits.GetProperty("decision").GetProperty("arm").GetString());
                Assert.Equal(T0.AddMinutes(61), splits.GetProperty("decision").GetProperty("decidedAt").GetDateTimeOffset());

                // The experiments report carries the same decision, with its version and the numbers in words.
                var experiments = await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/journeys/subject-test/experiments?from={T0:yyyy-MM-dd}", Cancel);
                var reported = Assert.Single(experiments.GetProperty("experiments").EnumerateArray()).GetProperty("decision");
                Assert.Equal(splits.GetProperty("decision").GetProperty("arm").GetString(), reported.GetProperty("arm").GetString());
                Assert.Equal(1, reported.GetProperty("version").GetInt32());
                Assert.StartsWith("automatic winner: arm b had the highest posterior conversion rate (a ", reported.GetProperty("reason").GetString(), StringComparison.Ordinal);
                for (var i = 0; i < 6; i++)
                {
                    await cairn.SendAsync("track", $$"""{"userId":"after{{i}}","event":"signed_up"}""");
                    Assert.Equal("b", await ArmAsync(cairn, $"after{i}"));
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Splits_OfAnUnknownJourney_IsNotFound()
    {
        await using var cairn = await TestCairn.StartAsync(time: new FakeTimeProvider(T0));
        using var response = await cairn.Admin.GetAsync("/api/journeys/nope/splits", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static void AssertDecision(JsonElement split, List<(string User, string Arm)> contacts, DateTimeOffset decidedAt)
    {
        var decision = split.GetProperty("decision");
        Assert.Equal("b", decision.GetProperty("arm").GetString());
        Assert.Equal("automatic winner", decision.GetProperty("decidedBy").GetString());
        Assert.Equal(decidedAt, decision.GetProperty("decidedAt").GetDateTimeOffset());
        var numbers = decision.GetProperty("arms").EnumerateArray().ToDictionary(arm => arm.GetProperty("arm").GetString()!, arm => (arm.GetProperty("entries").GetInt64(), arm.GetProperty("conversions").GetInt64()));
        var bs = contacts.Count(contact => contact.Arm == "b" && contact.User != "early");
        Assert.Equal((contacts.Count(contact => contact.Arm == "a"), 0L), numbers["a"]);
        Assert.Equal((contacts.Count(contact => contact.Arm == "b"), (long)bs), numbers["b"]);
        Assert.Equal([0.0, 100.0], split.GetProperty("arms").EnumerateArray().Select(arm => arm.GetProperty("weight").GetDouble()));
    }

    private static Task RefreshAsync(TestCairn cairn) => cairn.Services.GetRequiredService<Cairn.Runtime.SplitRunner>().RefreshAsync(Cancel);

    private static Task<JsonElement> SplitsAsync(TestCairn cairn) => cairn.Admin.GetFromJsonAsync<JsonElement>("/api/journeys/subject-test/splits", Cancel);

    private static string ContactIdOf(TestCairn cairn, string user) => cairn.Engine.FindContact(IdentityKey.User(user))!.Value.ToString();

    private static async Task<JsonElement> SplitEntryAsync(TestCairn cairn, string user)
    {
        var journeys = await cairn.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/{ContactIdOf(cairn, user)}/journeys?limit=100", Cancel);
        return journeys.GetProperty("active").EnumerateArray().Concat(journeys.GetProperty("ended").EnumerateArray())
            .SelectMany(enrollment => enrollment.GetProperty("path").EnumerateArray())
            .Single(entry => entry.GetProperty("from").GetString() == "pick");
    }

    private static async Task<string> ArmAsync(TestCairn cairn, string user) => (await SplitEntryAsync(cairn, user)).GetProperty("exit").GetString()!;

    private static async Task<string> ReasonAsync(TestCairn cairn, string user) => (await SplitEntryAsync(cairn, user)).GetProperty("reason").GetString()!;
}
