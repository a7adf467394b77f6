using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;
using CsCheck;

namespace Cairn.Core.Tests;

public sealed class ContactDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Id = new(Guid.Parse("0193a3c0-0000-7000-8000-000000000001"));
    private static readonly ContactId Other = new(Guid.Parse("0193a3c0-0000-7000-8000-000000000002"));

    [Fact]
    public void Decide_FirstIdentify_CreatesProfileWithNormalisedChannels()
    {
        var message = TestMessages.Identify("u1", "a1", """{"email":" Ann@Example.COM","phone":"(415) 555-2671","country":"US","timezone":"Europe/Paris","name":"Ann"}""", T0);

        var decision = ContactDecider.Decide(null, new MessageReceived(Id, message), Now);

        var state = decision.State;
        Assert.True(decision.Changed);
        Assert.Equal(Id, state.Id);
        Assert.Equal("u1", state.UserId);
        Assert.Equal(["a1"], state.AnonymousIds);
        Assert.Equal("Ann@example.com", state.Email);
        Assert.Equal("+14155552671", state.Phone);
        Assert.Equal("Europe/Paris", state.TimeZone);
        Assert.Equal("Ann", state.DisplayName);
        Assert.Equal(T0, state.FirstSeen);
        Assert.Equal(T0, state.LastSeen);
        Assert.Equal(1, state.EventCount);
        Assert.Equal(1, state.EventCounts["$identify"]);
        Assert.Equal(Now, state.CreatedAt);
        var append = Assert.IsType<AppendEvent>(Assert.Single(decision.Effects));
        Assert.Same(message, append.Message);
    }

    [Fact]
    public void Decide_OlderIdentify_DoesNotOverwriteNewerTrait()
    {
        var newer = Apply(null, TestMessages.Identify("u1", null, """{"plan":"pro"}""", T0.AddHours(2)));

        var state = Apply(newer, TestMessages.Identify("u1", null, """{"plan":"free","company":"Acme"}""", T0));

        Assert.Equal("pro", state.TraitString("plan"));
        Assert.Equal("Acme", state.TraitString("company"));
        Assert.Equal(T0, state.FirstSeen);
        Assert.Equal(T0.AddHours(2), state.LastSeen);
    }

    [Fact]
    public void Decide_TrackWithContextTraits_UpdatesTraitsAndCounters()
    {
        var message = TestMessages.Read($$$"""
            {"type":"track","userId":"u1","event":"Cart Abandoned","timestamp":"{{{T0:O}}}",
             "context":{"traits":{"email":"b@x.io"},"timezone":"America/New_York"}}
            """);

        var state = Apply(Apply(null, message), TestMessages.Track("u1", null, "Cart Abandoned", T0.AddMinutes(1)));

        Assert.Equal("b@x.io", state.Email);
        Assert.Equal("America/New_York", state.TimeZone);
        Assert.Equal(2, state.EventCounts["Cart Abandoned"]);
        Assert.Equal(2, state.EventCount);
    }

    [Fact]
    public void Decide_GroupTraits_DescribeTheAccountNotThePerson()
    {
        var message = TestMessages.Read($$"""{"type":"group","userId":"u1","groupId":"acme","traits":{"name":"Acme Inc"},"timestamp":"{{T0:O}}"}""");

        var state = Apply(null, message);

        Assert.Equal(["acme"], state.Groups);
        Assert.Null(state.TraitString("name"));
        Assert.Equal(1, state.EventCounts["$group"]);
    }

    [Fact]
    public void Decide_MessageWithAbsorb_AppendsThenRequestsMerge()
    {
        var message = TestMessages.Identify("u1", "a1", "{}", T0);

        var decision = ContactDecider.Decide(null, new MessageReceived(Id, message, Absorb: Other), Now);

        Assert.Collection(
            decision.Effects,
            effect => Assert.IsType<AppendEvent>(effect),
            effect => Assert.Equal(new RequestMerge(Other, Id), effect));
    }

    [Fact]
    public void Decide_MergeRequested_MarksMergedAndHandsOverSnapshot()
    {
        var absorbed = Apply(null, TestMessages.Track(null, "a1", "Viewed", T0), Other);

        var decision = ContactDecider.Decide(absorbed, new MergeRequested(Other, Id), Now);

        Assert.Equal(Id, decision.State.MergedInto);
        var handOver = Assert.IsType<HandOver>(Assert.Single(decision.Effects));
        Assert.Equal(Other, handOver.From);
        Assert.Equal(Id, handOver.Into);
        Assert.Same(absorbed, handOver.Snapshot);
    }

    [Fact]
    public void Decide_InputForMergedContact_IsForwardedToSurvivor()
    {
        var merged = ContactDecider.Decide(Apply(null, TestMessages.Track(null, "a1", "Viewed", T0), Other), new MergeRequested(Other, Id), Now).State;
        var late = TestMessages.Track(null, "a1", "Viewed", T0.AddMinutes(5));

        var decision = ContactDecider.Decide(merged, new MessageReceived(Other, late), Now);

        Assert.False(decision.Changed);
        var forward = Assert.IsType<ForwardInput>(Assert.Single(decision.Effects));
        Assert.Equal(new MessageReceived(Id, late), forward.Input);
    }

    [Fact]
    public void Decide_MergeRequestedTwice_SecondIsNoOp()
    {
        var merged = ContactDecider.Decide(ContactState.New(Other, T0), new MergeRequested(Other, Id), Now).State;

        var decision = ContactDecider.Decide(merged, new MergeRequested(Other, Id), Now);

        Assert.False(decision.Changed);
        Assert.Empty(decision.Effects);
    }

    [Fact]
    public void Decide_ContactAbsorbed_MergesProfilesAndCompletesMerge()
    {
        var survivor = Apply(null, TestMessages.Identify("u1", null, """{"plan":"pro"}""", T0.AddDays(1)));
        var anonymous = Apply(Apply(null, TestMessages.Identify(null, "a1", """{"plan":"trial","utm":"ad"}""", T0), Other), TestMessages.Track(null, "a1", "Viewed", T0.AddDays(2)), Other);

        var decision = ContactDecider.Decide(survivor, new ContactAbsorbed(Id, anonymous), Now);

        var state = decision.State;
        Assert.Equal("u1", state.UserId);
        Assert.Equal(["a1"], state.AnonymousIds);
        Assert.Equal("pro", state.TraitString("plan"));
        Assert.Equal("ad", state.TraitString("utm"));
        Assert.Equal(3, state.EventCount);
        Assert.Equal(T0, state.FirstSeen);
        Assert.Equal(T0.AddDays(2), state.LastSeen);
        Assert.Equal(new CompleteMerge(Other, Id), Assert.Single(decision.Effects));
    }

    [Fact]
    public void Decide_TraitsPatched_SetsTraitsAsOfNow()
    {
        var state = Apply(null, TestMessages.Identify("u1", null, """{"plan":"free"}""", T0));
        using var value = JsonDocument.Parse("\"enterprise\"");
        var traits = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("plan", value.RootElement.Clone())]);

        var decision = ContactDecider.Decide(state, new TraitsPatched(Id, traits), Now);

        Assert.Equal("enterprise", decision.State.TraitString("plan"));
        Assert.Equal(Now, decision.State.Traits["plan"].UpdatedAt);
        Assert.Empty(decision.Effects);
    }

    [Fact]
    public void Decide_TraitsInAnyOrder_LastWriteByEventTimeWins()
    {
        // Identify calls with distinct event times arrive in any order; the profile must not depend on it.
        var generator = Gen.Int[0, 3].Select(Gen.Int[0, 1000]).Array[1, 12]
            .Select(writes => writes
                .Select((write, index) => (Key: "k" + write.Item1, Value: write.Item2, At: T0.AddMinutes(index)))
                .ToArray());

        generator.SelectMany(writes => Gen.Shuffle(writes.ToArray()).Select(shuffled => (writes, shuffled)))
            .Sample(pair =>
            {
                var inOrder = Replay(pair.writes);
                var shuffled = Replay(pair.shuffled);
                Assert.Equal(Traits(inOrder), Traits(shuffled));
                Assert.Equal(pair.writes.Length, shuffled.EventCount);
                Assert.Equal(pair.writes.Min(write => write.At), shuffled.FirstSeen);
                Assert.Equal(pair.writes.Max(write => write.At), shuffled.LastSeen);
            });
    }

    [Fact]
    public void Absorb_AnySplitOfEvents_EqualsOneProfileThatSawThemAll()
    {
        // Merging two profiles that each saw part of a person's events gives the profile that saw them all.
        var generator = Gen.Int[0, 3].Select(Gen.Int[0, 1000], Gen.Bool).Array[1, 12];

        generator.Sample(writes =>
        {
            var all = writes.Select((write, index) => (Key: "k" + write.Item1, Value: write.Item2, At: T0.AddMinutes(index))).ToArray();
            var left = Replay(all.Where((_, index) => writes[index].Item3).ToArray());
            var right = Replay(all.Where((_, index) => !writes[index].Item3).ToArray(), Other);

            var merged = ContactDecider.Absorb(left, right);
            var whole = Replay(all);

            Assert.Equal(Traits(whole), Traits(merged));
            Assert.Equal(whole.EventCount, merged.EventCount);
            Assert.Equal(whole.EventCounts, merged.EventCounts);
        });
    }

    private static ContactState Replay(IReadOnlyList<(string Key, int Value, DateTimeOffset At)> writes, ContactId? id = null)
    {
        var state = ContactState.New(id ?? Id, Now);
        foreach (var (key, value, at) in writes)
        {
            state = Apply(state, TestMessages.Identify("u1", null, $$"""{"{{key}}":{{value}}}""", at), id);
        }

        return state;
    }

    private static Dictionary<string, string> Traits(ContactState state) =>
        state.Traits.ToDictionary(pair => pair.Key, pair => pair.Value.Value.GetRawText() + "@" + pair.Value.UpdatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    private static ContactState Apply(ContactState? state, SegmentMessage message, ContactId? id = null) =>
        ContactDecider.Decide(state, new MessageReceived(id ?? Id, message), Now).State;
}
