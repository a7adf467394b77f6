using System.Globalization;
using Cairn.Core;
using Cairn.Messaging;

namespace Cairn.Http;

/// <summary>
/// The outbox listing (<c>GET /api/messages</c>): every message journeys decided, newest first, filtered by status,
/// channel, journey, template, contact and creation time, a page at a time (each page answered by one index walk).
/// </summary>
internal static class OutboxEndpoints
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 1000;
    private const int MaxIdLength = 200;

    /// <summary>Maps <c>GET /messages</c> under <paramref name="api"/>.</summary>
    public static RouteGroupBuilder MapOutbox(this RouteGroupBuilder api)
    {
        api.MapGet("/messages", ListAsync)
            .WithTags("Messages")
            .WithSummary("The outbox, newest first, a page at a time: every message, or those of a status (queued, sending, sent, delivered, bounced, failed, suppressed, undeliverable, expired, dead_letter), channel, journey (journeyId), template (templateId), contact (contactId; 404 when it names none) and creation time (from inclusive, to exclusive; ISO 8601). Pass nextCursor as cursor for the next page of the same filters; limit 1–1000 (default 50).")
            .Produces<PageView<OutboxMessage>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<PageView<OutboxMessage>>, ProblemHttpResult>> ListAsync(
        string? status,
        string? channel,
        string? journeyId,
        string? templateId,
        string? contactId,
        string? from,
        string? to,
        string? cursor,
        int? limit,
        ContactCommands contactCommands,
        MessageDispatcher dispatcher,
        IOutbox outboxStore,
        CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.BadRequest($"limit must be between 1 and {MaxPageSize}.");
        }

        status = Given(status);
        if (status is not null && !MessageStatus.All.Contains(status, StringComparer.Ordinal))
        {
            return Problems.BadRequest($"status must be one of {string.Join(", ", MessageStatus.All)}.");
        }

        channel = Given(channel);
        if (channel is not null && !dispatcher.ChannelNames.Contains(channel))
        {
            return Problems.BadRequest($"channel must be one of {string.Join(", ", dispatcher.ChannelNames.Order(StringComparer.Ordinal))}.");
        }

        (journeyId, templateId) = (Given(journeyId), Given(templateId));
        if (journeyId is { Length: > MaxIdLength } || templateId is { Length: > MaxIdLength })
        {
            return Problems.BadRequest($"journeyId and templateId are at most {MaxIdLength} characters.");
        }

        if (!TryTime(from, out var since) || !TryTime(to, out var until))
        {
            return Problems.BadRequest("from and to must be ISO 8601 times, e.g. 2026-01-31T00:00:00Z (UTC when no offset is given).");
        }

        if (since > until)
        {
            return Problems.BadRequest("from must not be later than to.");
        }

        ContactId? contact = null;
        if (Given(contactId) is { } id)
        {
            var (found, missing) = await ContactEndpoints.FindAsync(id, contactCommands, cancellationToken).ConfigureAwait(false);
            if (found is null)
            {
                return missing!;
            }

            contact = found.Id;
        }

        var query = new MessageQuery(status, channel, journeyId, templateId, contact, since, until);
        var page = await outboxStore.QueryMessagesAsync(query, Given(cursor), limit ?? DefaultPageSize, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PageView<OutboxMessage>(page.Items, page.NextCursor));
    }

    // An empty query parameter (a cleared filter in a link) filters nothing.
    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryTime(string? value, out DateTimeOffset? time)
    {
        time = null;
        if (Given(value) is not { } given)
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(given, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }

        time = parsed;
        return true;
    }
}
