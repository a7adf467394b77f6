using Cairn.Core.Consent;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Segments;

namespace Cairn.Core.Tests;

/// <summary>Consent by channel and subscription group: the latest answer wins, a channel opt-out covers its groups, segments follow.</summary>
public sealed class ConsentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-00000000000c"));

    [Fact]
    public void TheLatestAnswerWins_AndAChannelOptOutCoversItsGroups()
    {
        var contact = ContactState.New(Ann, T0);
        contact = Give(contact, "email", "newsletter", ConsentState.OptedIn, T0.AddMinutes(1));
        Assert.Equal(ConsentState.OptedIn, Consents.StateOf(contact.Consents, "email", "newsletter"));
        Assert.Equal(ConsentState.NeverAsked, Consents.StateOf(contact.Consents, "email", null));
        Assert.Equal(ConsentState.NeverAsked, Consents.StateOf(contact.Consents, "sms", null));

        // An answer older than the one recorded changes nothing.
        var stale = ContactDecider.Decide(contact, new ConsentChanged(Ann, "email", "newsletter", new ConsentRecord(ConsentState.OptedOut, "import", T0, null)), T0.AddMinutes(2));
        Assert.False(stale.Changed);

        contact = Give(contact, "email", null, ConsentState.OptedOut, T0.AddMinutes(3));
        Assert.Equal(ConsentState.OptedOut, Consents.StateOf(contact.Consents, "email", "newsletter"));
    }

    [Fact]
    public void ConsentConditions_AreEvaluatedWhenConsentChanges()
    {
        var parsed = JourneyDocument.Parse("kind: segment\nid: news\nname: Newsletter\ncondition: { consent: email, group: newsletter }", "news.yaml");
        Assert.Empty(parsed.Errors);
        Assert.Contains(JourneyDocument.Parse("kind: segment\nid: x\nname: X\ncondition: { consent: fax }", "x").Errors, e => e.Message.StartsWith("unknown channel 'fax'", StringComparison.Ordinal));
        var library = SegmentLibrary.Of([parsed.Segment!]);

        var before = ContactState.New(Ann, T0);
        var after = Give(before, "email", "newsletter", ConsentState.OptedIn, T0);
        var record = after.Consents["email:newsletter"];
        var entered = AudienceDecider.Decide(before, after, Scoring.ScoringLibrary.Empty, library, new AudienceInput.ConsentGiven("email:newsletter", record), [], T0);
        Assert.Equal([new SegmentChange("news", true, "consent email:newsletter: opted in (form-7)")], entered.SegmentChanges);

        // A trait change does not re-read consent: the membership stands.
        Assert.Empty(AudienceDecider.Decide(entered.Profile, entered.Profile, Scoring.ScoringLibrary.Empty, library, new AudienceInput.TraitsSet(), [], T0).SegmentChanges);
    }

    private static ContactState Give(ContactState contact, string channel, string? group, ConsentState state, DateTimeOffset at) =>
        ContactDecider.Decide(contact, new ConsentChanged(Ann, channel, group, new ConsentRecord(state, "form-7", at, "I agree to receive the newsletter")), at).State;
}
