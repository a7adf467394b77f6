using System.Collections.Immutable;
using System.Text.Json;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Runtime;

/// <summary>
/// The commands an operator or a channel issues about existing contacts (traits, enrollment, consent, observed events,
/// list membership, erasure, hand-off acknowledgement): each becomes an input of the contact's partition, and
/// completes when it is committed. It also resolves the contact a command names (a merged id leads to the survivor).
/// </summary>
public sealed class ContactCommands
{
    private readonly CairnEngine _engine;
    private readonly IContactStore _contacts;
    private readonly IJourneyIndex _index;
    private readonly IHandOffStore _handOffs;
    private readonly TimeProvider _time;

    /// <summary>Creates the commands over the engine's partitions.</summary>
    public ContactCommands(CairnEngine engine, IContactStore contacts, IJourneyIndex index, IHandOffStore handOffs, TimeProvider time) =>
        (_engine, _contacts, _index, _handOffs, _time) = (engine, contacts, index, handOffs, time);

    /// <summary>Sets traits on a contact (as of now). Null when the contact does not exist.</summary>
    public async Task<ContactState?> PatchTraitsAsync(
        ContactId id,
        ImmutableSortedDictionary<string, JsonElement> traits,
        CancellationToken cancellationToken)
    {
        var contact = await GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return null;
        }

        await _engine.Submit(new TraitsPatched(contact.Id, traits), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await GetContactAsync(contact.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the journey engine to enroll an existing contact in a live journey (the API trigger); entry rules apply.
    /// Returns the contact's state once the request is committed, or null when the contact does not exist.
    /// </summary>
    public async Task<ContactState?> EnrollAsync(ContactId id, string journeyId, JsonElement? payload, CancellationToken cancellationToken)
    {
        var contact = await GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        if (contact is null)
        {
            return null;
        }

        await _engine.Submit(new EnrollmentRequested(contact.Id, journeyId, payload), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await GetContactAsync(contact.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The contact an identity resolves to now (including identities not yet committed).</summary>
    public ContactId? FindContact(IdentityKey identity) => _engine.FindContact(identity);

    /// <summary>A contact's profile; a merged contact's id leads to the profile it was merged into.</summary>
    public async Task<ContactState?> GetContactAsync(ContactId id, CancellationToken cancellationToken)
    {
        var state = await _contacts.GetContactAsync(id, cancellationToken).ConfigureAwait(false);
        for (var hops = 0; state?.MergedInto is { } into && hops < 16; hops++)
        {
            state = await _contacts.GetContactAsync(into, cancellationToken).ConfigureAwait(false);
        }

        return state;
    }

    /// <summary>
    /// Adds <paramref name="contacts"/> to the static list <paramref name="segment"/> (or removes them), each in its
    /// partition: an entry or exit with <paramref name="reason"/>, a <c>segment_entered</c> / <c>segment_exited</c>
    /// event, and the segments that refer to the list re-evaluated. Returns how many changed membership.
    /// </summary>
    public async Task<int> ChangeListAsync(string segment, IReadOnlyCollection<ContactId> contacts, bool add, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var before = await _index.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(contacts.Distinct().Select(id => _engine.Submit(new ListMembershipChanged(id, segment, add, reason), []))).WaitAsync(cancellationToken).ConfigureAwait(false);
        var after = await _index.CountSegmentMembersAsync(cancellationToken).ConfigureAwait(false);
        return (int)Math.Abs(after.GetValueOrDefault(segment) - before.GetValueOrDefault(segment));
    }

    /// <summary>
    /// After a segment was archived: every member is re-evaluated in its partition, which takes it out of the segment
    /// (a <c>segment_exited</c> event, the member row deleted). Returns how many members there were.
    /// </summary>
    public async Task<int> EvictSegmentAsync(string segment, CancellationToken cancellationToken)
    {
        var (total, after) = (0, (string?)null);
        while (await _index.GetSegmentMembersAsync(segment, after, RolloutRunner.RolloutPage, cancellationToken).ConfigureAwait(false) is { Count: > 0 } page)
        {
            await Task.WhenAll(page.Select(member => _engine.Submit(new SegmentsChanged(member.ContactId, $"segment {segment} archived"), []))).WaitAsync(cancellationToken).ConfigureAwait(false);
            (total, after) = (total + page.Count, page[^1].ContactId.ToString());
        }

        return total;
    }

    /// <summary>
    /// Records a consent answer for the contact (a later answer for the same channel or group replaces an earlier one)
    /// in its partition: a <c>consent_changed</c> event on its timeline, consent conditions re-evaluated.
    /// </summary>
    public Task ChangeConsentAsync(ContactId contact, string channel, string? group, Core.Consent.ConsentRecord record, CancellationToken cancellationToken) =>
        _engine.Submit(new ConsentChanged(contact, channel, group, record), []).WaitAsync(cancellationToken);

    /// <summary>
    /// Records an event Cairn observed about a contact itself (an email opened, a link clicked) as a track event on
    /// its timeline, in its partition: journeys waiting for it move on. False when there is no such contact.
    /// </summary>
    public async Task<bool> RecordEventAsync(ContactId id, string name, System.Text.Json.JsonElement properties, CancellationToken cancellationToken)
    {
        if (await GetContactAsync(id, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return false;
        }

        await RecordEventsAsync([(contact, name, properties)], cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Records events Cairn observed about contacts it has just read (messages sent or delivered), each in its
    /// contact's partition, committed together by group commit; completes when all are durable.
    /// </summary>
    public Task RecordEventsAsync(IEnumerable<(ContactState Contact, string Name, System.Text.Json.JsonElement Properties)> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = _time.GetUtcNow();
        return Task.WhenAll(events.Select(item =>
            _engine.Submit(new MessageReceived(item.Contact.Id, Core.Segments.AudienceDecider.Announcement(item.Contact, item.Name, Guid.CreateVersion7().ToString("N"), item.Properties, now)), [])))
            .WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Erases a contact (a GDPR / CCPA deletion request) with every contact merged into it, in its partition after the
    /// inputs already queued for it: <paramref name="beforeDelete"/> sees the profiles first (to put their addresses on
    /// the suppression list), then everything stored about them is deleted in one transaction and the erasure recorded.
    /// The person's identities are forgotten at once, so a later event from them starts a new, empty profile.
    /// Null when there is no such contact.
    /// </summary>
    public async Task<ErasureRecord?> EraseContactAsync(
        ContactId id,
        string reason,
        Func<IReadOnlyList<ContactState>, CancellationToken, Task>? beforeDelete,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (await GetContactAsync(id, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return null;
        }

        var erased = new TaskCompletionSource<ErasureRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var forgotten = _engine.ForgetIdentities(contact.Id);
        try
        {
            await _engine.Submit(new ErasureRequested(contact.Id, reason, beforeDelete, erased), []).ConfigureAwait(false);
            return await erased.Task.ConfigureAwait(false);
        }
        catch
        {
            // Nothing was deleted: the person's identities lead to the profile again.
            _engine.RestoreIdentities(contact.Id, forgotten);

            throw;
        }
    }

    /// <summary>
    /// Records that the owner acknowledged hand-off <paramref name="id"/>, in the lead's partition (which stops its SLA).
    /// Null when there is no such hand-off; otherwise the hand-off as stored afterwards.
    /// </summary>
    public async Task<HandOffRecord?> AcknowledgeHandOffAsync(string id, string by, CancellationToken cancellationToken)
    {
        if (await _handOffs.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false) is not { } handOff)
        {
            return null;
        }

        await _engine.Submit(new HandOffAcknowledged(handOff.ContactId, id, by), []).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _handOffs.GetHandOffAsync(id, cancellationToken).ConfigureAwait(false);
    }
}
