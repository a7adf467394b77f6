using Cairn.Core.Messages;

namespace Cairn.Core.Contacts;

/// <summary>What the host must do as a result of a decision. Plain data; the host carries it out.</summary>
public abstract record Effect;

/// <summary>Append the message to the contact's event log (idempotent by message id).</summary>
public sealed record AppendEvent(ContactId ContactId, SegmentMessage Message) : Effect;

/// <summary>
/// Record that <paramref name="From"/> must merge into <paramref name="Into"/> (durably, with this commit),
/// then send <see cref="MergeRequested"/> to <paramref name="From"/>.
/// </summary>
public sealed record RequestMerge(ContactId From, ContactId Into) : Effect;

/// <summary>
/// Move the events and identities of <paramref name="From"/> to <paramref name="Into"/> (with this commit),
/// then send <see cref="ContactAbsorbed"/> with <paramref name="Snapshot"/> to <paramref name="Into"/>.
/// </summary>
public sealed record HandOver(ContactId From, ContactId Into, ContactState Snapshot) : Effect;

/// <summary>The merge of <paramref name="From"/> into <paramref name="Into"/> is complete; forget it.</summary>
public sealed record CompleteMerge(ContactId From, ContactId Into) : Effect;

/// <summary>Send an input on to another contact (an input that reached a profile merged elsewhere).</summary>
public sealed record ForwardInput(ContactInput Input) : Effect;
