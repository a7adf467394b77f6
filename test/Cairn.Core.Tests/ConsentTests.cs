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
        var parsed = DocumentParser.Parse("kind: segment\nid: news\nname: Newsletter\ncondition: { consent: email, group: newsletter }", "news.yaml");
        Assert.Empty(parsed.Errors);
        Assert.Contains(DocumentParser.Parse("kind: segment\nid: x\nname: X\ncondition: { consent: fax }", "x").Errors, e => e.Message.StartsWith("unknown channel 'fax'", StringComparison.Ordinal));
        var library = SegmentLibrary.Of([Assert.IsType<ParsedSegment>(parsed).Segment]);

        var before = ContactState.New(Ann, T0);
        var after = Give(before, "email", "newsletter", ConsentState.OptedIn, T0);
        var record = after.Consents["email:newsletter"];
        var entered = AudienceDecider.Decide(before, after, Scoring.ScoringLibrary.Empty, library, new AudienceInput.ConsentGiven("email:newsletter", record), [], T0);
        Assert.Equal([new SegmentChange("news", true, "consent email:newsletter: opted in (form-7)")], entered.SegmentChanges);

        // A trait change does not re-read consent: the membership stands.
        Assert.Empty(AudienceDecider.Decide(entered.Profile, entered.Profile, Scoring.ScoringLibrary.Empty, library, new AudienceInput.TraitsSet(), [], T0).SegmentChanges);
    }

    [Fact]
    public void IdentifyTraits_CarryConsent_InEveryForm_AndOnlyChangesAreRecorded()
    {
        var message = TestMessages.Read("""
            {"type":"identify","userId":"ann","messageId":"m-1","timestamp":"2026-11-02T10:00:00Z",
             "traits":{"consent":{"email":true,"sms":"opted_out","email:news":{"state":"opted_in","source":"form-7","proof":"I agree","confirmed":true}},"unsubscribed":false},
             "context":{"ip":"198.51.100.4"}}
            """);
        var answers = TraitConsent.Read(message, out var error);
        Assert.Null(error);
        Assert.Equal(
            [("email", null, ConsentState.OptedIn, "identify", "identify m-1; ip 198.51.100.4", false), ("email", null, ConsentState.OptedIn, "identify", "identify m-1; ip 198.51.100.4", false), ("sms", null, ConsentState.OptedOut, "identify", "identify m-1; ip 198.51.100.4", false), ("email", "news", ConsentState.OptedIn, "form-7", "I agree", true)],
            answers.Select(a => (a.Channel, a.Group, a.Record.State, a.Record.Source, a.Record.Proof, a.Confirmed)));
        Assert.All(answers, a => Assert.Equal(T0, a.Record.At));

        // WhatsApp consent is collected before a WhatsApp channel sends.
        Assert.Equal(ConsentState.OptedIn, Assert.Single(TraitConsent.Read(TestMessages.Read("""{"type":"identify","userId":"ann","traits":{"consent":{"whatsapp":"opted_in"}}}"""), out _)).Record.State);

        // Under double opt-in for email, an unconfirmed opt-in is pending; a confirmed one is not.
        var changes = TraitConsent.Changes(answers.Skip(1), Consents.None, ["email"]).ToList();
        Assert.Equal([ConsentState.Pending, ConsentState.OptedOut, ConsentState.OptedIn], changes.Select(c => c.Record.State));

        // What is recorded already (or newer, or a confirmed opt-in) is not answered again.
        var contact = ContactState.New(Ann, T0);
        contact = Give(contact, "sms", null, ConsentState.OptedOut, T0);
        contact = Give(contact, "email", null, ConsentState.OptedIn, T0);
        Assert.Equal([("email", "news")], TraitConsent.Changes(answers, contact.Consents, ["email"]).Select(c => (c.Channel, c.Group)));
        contact = Give(contact, "email", "news", ConsentState.OptedOut, T0.AddHours(1));
        Assert.Empty(TraitConsent.Changes(answers, contact.Consents, []));
    }

    [Theory]
    [InlineData("""{"consent":"yes"}""", "'traits.consent' must be an object of channel (or channel:group) to opted_in / opted_out")]
    [InlineData("""{"consent":{"fax":true}}""", "'traits.consent.fax': the key is a channel (email, sms, push, webhook, in_app, whatsapp) or channel:group")]
    [InlineData("""{"consent":{"email:":true}}""", "'traits.consent.email:': the key is a channel (email, sms, push, webhook, in_app, whatsapp) or channel:group")]
    [InlineData("""{"consent":{"email":{"state":"sure"}}}""", "'traits.consent.email': the state is \"opted_in\", \"opted_out\", true or false")]
    public void MalformedConsentTraits_RejectTheMessage(string traits, string error) =>
        Assert.Equal(error, TestMessages.Error($$"""{"type":"identify","userId":"ann","traits":{{traits}}}"""));

    private static ContactState Give(ContactState contact, string channel, string? group, ConsentState state, DateTimeOffset at) =>
        ContactDecider.Decide(contact, new ConsentChanged(Ann, channel, group, new ConsentRecord(state, "form-7", at, "I agree to receive the newsletter")), at).State;
}
