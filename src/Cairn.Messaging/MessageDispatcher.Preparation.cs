using System.Collections.Frozen;
using System.Text.Json;
using Cairn.Core.Journeys;
using Cairn.Core.Orchestration;
using Cairn.Core.Templates;
using Cairn.Messaging.Channels;
using Cairn.Runtime;
using Cairn.Runtime.Storage;

namespace Cairn.Messaging;

/// <summary>
/// Preparing a send: the contact, the template, the orchestrator's decision (caps, quiet hours, engagement, send-time
/// optimisation) with the ledger it reads, the render and the channel's own checks.
/// </summary>
public sealed partial class MessageDispatcher
{
    /// <summary>The channels that reach the contact, whose sends the orchestrator decides (webhooks reach systems).</summary>
    private static readonly FrozenSet<string> OrchestratedChannels = FrozenSet.Create(StringComparer.Ordinal, "email", "sms", "push", "in_app");
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, SendTime Model)> _population = new(StringComparer.Ordinal);

    /// <summary>
    /// Everything short of the provider call: the contact, the template, the orchestrator's decision (for messages to
    /// the contact), the render, the channel's own checks. A send the orchestrator approves joins
    /// <paramref name="approved"/>, which the contact's next decisions in this pass count.
    /// </summary>
    private async Task<(DeliveryJob? Job, Preparation Preparation, string? Decision)> PrepareAsync(
        IMessageChannel channel,
        OutboxMessage message,
        Core.Contacts.ContactState? contact,
        List<SentMessage> approved,
        Func<Task<(IReadOnlyList<SentMessage> Sent, IReadOnlyList<Core.Journeys.Engine.PastEvent> Engagement)>> ledger,
        CancellationToken cancellationToken)
    {
        if (contact is null)
        {
            return (null, Preparation.End(DeliveryOutcome.Failed("the contact no longer exists")), null);
        }

        LiveTemplate? template = null;
        RenderResult? rendered = null;
        string? trail = null;
        if (channel.Templated && message.Template.Length > 0)
        {
            if (!_journeys.Templates.TryGetValue(message.Template, out template))
            {
                return (null, Preparation.End(DeliveryOutcome.Failed(_journeys.BrokenTemplates.TryGetValue(message.Template, out var why)
                    ? $"the template '{message.Template}' no longer passes validation: {why}"
                    : $"the template '{message.Template}' is not live (missing or archived)")), null);
            }

            if (OrchestratedChannels.Contains(channel.Name))
            {
                var now = _time.GetUtcNow();
                var category = Enum.TryParse<JourneyCategory>(message.Category, ignoreCase: true, out var parsed) ? parsed : JourneyCategory.Promotional;
                var request = new SendRequest(message.MessageId, channel.Name, category, message.Priority, template.Definition.Subscription, message.CreatedAt);
                var (sent, engagement) = await ledger().ConfigureAwait(false);
                var decision = Orchestrator.Decide(_journeys.Policy, contact, request, [.. sent, .. approved], engagement, now);
                if (message.SendWindow is { } window && message.Decision is null)
                {
                    // Send-time optimisation, at the first look only: once deferred to the best hour, the message goes then.
                    var own = await _events.GetEventsOfAsync([contact.Id], EngagementNames(channel.Name), cancellationToken).ConfigureAwait(false);
                    var times = own.TryGetValue(contact.Id, out var found) ? found.Select(stored => stored.Timestamp) : [];
                    decision = Orchestrator.WithSendTime(decision, await PopulationAsync(channel.Name, cancellationToken).ConfigureAwait(false), times, now, message.CreatedAt + window);
                }
                trail = JsonSerializer.Serialize(new
                {
                    decision = decision.Kind.ToString().ToLowerInvariant(),
                    reason = decision.Reason,
                    until = decision.Until,
                    at = now,
                    checks = decision.Trail.Select(step => new { check = step.Check, result = step.Result, detail = step.Detail }),
                });
                switch (decision.Kind)
                {
                    case DecisionKind.Defer:
                        return (null, Preparation.End(new DeliveryOutcome(OutcomeKind.Deferred, decision.Reason, decision.Until - now)), trail);
                    case DecisionKind.Suppress:
                        return (null, Preparation.End(OutcomeKind.Suppressed, decision.Reason), trail);
                    case DecisionKind.Expire:
                        return (null, Preparation.End(OutcomeKind.Expired, decision.Reason), trail);
                    default:
                        approved.Add(new SentMessage(channel.Name, category, now));
                        break;
                }
            }

            if (channel.Unreachable(contact) is { } unreachable)
            {
                return (null, Preparation.End(OutcomeKind.Undeliverable, unreachable), trail);
            }

            rendered = await RenderAsync(message, template, contact, cancellationToken).ConfigureAwait(false);
            if (!rendered.Succeeded)
            {
                LogRenderFailed(_logger, message.MessageId, message.Template, template.Version);
                _metrics.RenderFailed(channel.Name);
                return (null, Preparation.End(DeliveryOutcome.Failed($"render error in '{message.Template}' v{template.Version}: {rendered.Error}")), trail);
            }
        }

        var job = new DeliveryJob(message, contact, template, rendered);
        return (job, await channel.PrepareAsync(job, cancellationToken).ConfigureAwait(false), trail);
    }

    /// <summary>
    /// What the contact was sent in the last 8 days (the longest cap is a week, counted in local time), and its opens
    /// and clicks when the policy throttles or sunsets by engagement.
    /// </summary>
    private async Task<(IReadOnlyList<SentMessage>, IReadOnlyList<Core.Journeys.Engine.PastEvent>)> LedgerAsync(Core.ContactId contact, CancellationToken cancellationToken)
    {
        var sent = (await _outbox.GetSentAsync(contact, _time.GetUtcNow() - TimeSpan.FromDays(8), cancellationToken).ConfigureAwait(false))
            .Where(record => OrchestratedChannels.Contains(record.Channel))
            .Select(record => new SentMessage(record.Channel, Enum.TryParse<JourneyCategory>(record.Category, ignoreCase: true, out var category) ? category : JourneyCategory.Promotional, record.SentAt))
            .ToList();
        return (sent, await EngagementAsync(contact, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The events that say a contact engaged with a channel's message.</summary>
    private static string[] EngagementNames(string channel) => [$"{channel}_opened", $"{channel}_clicked"];

    /// <summary>
    /// The population's engagement hours on a channel (up to 50,000 opens and clicks of the last 30 days), the prior
    /// of send-time optimisation; read again every 15 minutes.
    /// </summary>
    private async Task<SendTime> PopulationAsync(string channel, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_population.TryGetValue(channel, out var cached) && now - cached.At < TimeSpan.FromMinutes(15))
        {
            return cached.Model;
        }

        var histogram = new double[SendTime.Hours];
        foreach (var at in await _events.GetEventTimesAsync(EngagementNames(channel), now - TimeSpan.FromDays(30), 50_000, cancellationToken).ConfigureAwait(false))
        {
            histogram[SendTime.SlotOf(at)]++;
        }

        var model = new SendTime(histogram);
        _population[channel] = (now, model);
        return model;
    }

    /// <summary>
    /// The contact's latest open and latest click on the policy's engagement channel (none when the policy does not
    /// measure engagement): the engagement standing reads the latest of them, so a contact with a million opens is
    /// read as two events.
    /// </summary>
    public async Task<IReadOnlyList<Core.Journeys.Engine.PastEvent>> EngagementAsync(Core.ContactId contact, CancellationToken cancellationToken)
    {
        if (_journeys.Policy.Engagement is not { } engagement)
        {
            return [];
        }

        var read = await _events.GetHistoryAsync(
            contact,
            [new HistoryRequest($"{engagement.Channel}_opened", 1, null, false, false, false), new HistoryRequest($"{engagement.Channel}_clicked", 1, null, false, false, false)],
            _time.GetUtcNow(),
            1,
            cancellationToken).ConfigureAwait(false);
        return [.. read.Events.Select(stored => stored.ToPastEvent())];
    }
}
