using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IOutbox"/>: messages committed with the state that decided them, claims, outcomes, retries, fallbacks, engagement.</summary>
public abstract class OutboxCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IOutbox Outbox => Store;

    [Fact]
    public async Task Messages_AreWrittenWithTheCommit_Once_AndReadWhole()
    {
        var id = NewContactId();
        var message = Message(id, "hello", T0.AddTicks(70)) with { Fallback = """[{"channel":"sms","template":"hello_sms"}]""", SendWindow = TimeSpan.FromHours(6) };
        var later = Message(id, "follow_up", T0.AddHours(1));
        await CommitAsync(batch => batch.Outbox.AddRange([message, message, later]));
        await CommitAsync(batch => batch.Outbox.Add(message with { Status = MessageStatus.Sent }));

        Assert.Equal([later, message], await Outbox.GetOutboxAsync(id, 10, Cancel));
        Assert.Equal([later], await Outbox.GetOutboxAsync(id, 1, Cancel));
        Assert.Empty(await Outbox.GetOutboxAsync(NewContactId(), 10, Cancel));
        var read = await Outbox.GetMessageAsync(message.MessageId, Cancel);
        Assert.Equal(message, read);
        Assert.Equal((MessageStatus.Queued, 0, null, null), (read!.Status, read.Attempts, read.SentAt, read.Recipient));
        Assert.Null(await Outbox.GetMessageAsync("missing", Cancel));
    }

    [Fact]
    public async Task GetDueDeliveries_QueuedOnTheChannel_WhoseAttemptIsDue_OldestFirst()
    {
        var id = NewContactId();
        var (first, second, retrying, sms) = (Message(id, "a", T0), Message(id, "b", T0.AddMinutes(1)), Message(id, "c", T0.AddMinutes(2)), Message(id, "d", T0, channel: "sms"));
        var sent = Message(id, "e", T0, status: MessageStatus.Sent);
        await CommitAsync(batch => batch.Outbox.AddRange([second, first, retrying, sms, sent]));
        await Outbox.RecordDeliveryAsync(retrying.MessageId, MessageStatus.Queued, 1, T0.AddHours(1), null, "try later", Cancel);

        Assert.Equal([first.MessageId, second.MessageId], (await Outbox.GetDueDeliveriesAsync("email", T0.AddMinutes(30), 10, Cancel)).Select(m => m.MessageId));
        Assert.Equal([first.MessageId, second.MessageId, retrying.MessageId], (await Outbox.GetDueDeliveriesAsync("email", T0.AddHours(1), 10, Cancel)).Select(m => m.MessageId));
        Assert.Single(await Outbox.GetDueDeliveriesAsync("email", T0.AddHours(1), 1, Cancel));
        Assert.Equal([sms.MessageId], (await Outbox.GetDueDeliveriesAsync("sms", T0, 10, Cancel)).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Claim_TakesQueuedMessagesOnce_WithWhatTheyWereRenderedTo()
    {
        var id = NewContactId();
        var (first, second, sent) = (Message(id, "a", T0), Message(id, "b", T0), Message(id, "c", T0, status: MessageStatus.Sent));
        await CommitAsync(batch => batch.Outbox.AddRange([first, second, sent]));

        Assert.Empty(await Outbox.ClaimAsync([], Cancel));
        var claimed = await Outbox.ClaimAsync([new MessageClaim(first.MessageId, "ann@example.com", "Welcome", 3), new MessageClaim(sent.MessageId, "x", "y", 1), new MessageClaim("missing", null, null, null)], Cancel);
        Assert.Equal([first.MessageId], claimed);
        var read = (await Outbox.GetMessageAsync(first.MessageId, Cancel))!;
        Assert.Equal((MessageStatus.Sending, "ann@example.com", "Welcome", 3), (read.Status, read.Recipient, read.Subject, read.TemplateVersion));
        Assert.Null((await Outbox.GetMessageAsync(sent.MessageId, Cancel))!.Recipient);

        // Another dispatcher claiming the same message gets nothing; the one still queued it gets.
        Assert.Equal([second.MessageId], await Outbox.ClaimAsync([new MessageClaim(first.MessageId, "b", "b", 1), new MessageClaim(second.MessageId, null, null, null)], Cancel));
        Assert.Empty(await Outbox.GetDueDeliveriesAsync("email", T0.AddDays(1), 10, Cancel));
    }

    [Fact]
    public async Task RecordDelivery_StoresTheOutcome_KeepingTheLastDecisionUnlessANewOneIsGiven()
    {
        var id = NewContactId();
        var (sent, failed) = (Message(id, "a", T0), Message(id, "b", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([sent, failed]));

        await Outbox.RecordDeliveriesAsync(
            [
                new DeliveryRecord(sent.MessageId, MessageStatus.Sent, 1, null, T0.AddMinutes(1), null) { Decision = """{"decision":"send"}""" },
                new DeliveryRecord(failed.MessageId, MessageStatus.Queued, 1, T0.AddMinutes(5), null, "421 try again"),
            ],
            Cancel);
        await Outbox.RecordDeliveriesAsync([], Cancel);
        var read = (await Outbox.GetMessageAsync(sent.MessageId, Cancel))!;
        Assert.Equal((MessageStatus.Sent, 1, T0.AddMinutes(1), null, """{"decision":"send"}"""), (read.Status, read.Attempts, read.SentAt, read.LastError, read.Decision));
        var retry = (await Outbox.GetMessageAsync(failed.MessageId, Cancel))!;
        Assert.Equal((MessageStatus.Queued, 1, "421 try again"), (retry.Status, retry.Attempts, retry.LastError));

        await Outbox.RecordDeliveryAsync(sent.MessageId, MessageStatus.Delivered, 1, null, T0.AddMinutes(1), null, Cancel);
        Assert.Equal((MessageStatus.Delivered, """{"decision":"send"}"""), ((await Outbox.GetMessageAsync(sent.MessageId, Cancel))!.Status, (await Outbox.GetMessageAsync(sent.MessageId, Cancel))!.Decision));
        await Outbox.RecordDeliveryAsync(failed.MessageId, MessageStatus.Failed, 3, null, null, "gave up after 3 attempts", Cancel);
        Assert.Equal((MessageStatus.Failed, 3, "gave up after 3 attempts"), ((await Outbox.GetMessageAsync(failed.MessageId, Cancel))!.Status, (await Outbox.GetMessageAsync(failed.MessageId, Cancel))!.Attempts, (await Outbox.GetMessageAsync(failed.MessageId, Cancel))!.LastError));
    }

    [Fact]
    public async Task GetSent_IsWhatTheContactWasSentSinceATime_InOrder()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var messages = new[] { Message(ann, "a", T0), Message(ann, "b", T0, channel: "sms") with { Category = "transactional" }, Message(ann, "c", T0), Message(bob, "d", T0) };
        await CommitAsync(batch => batch.Outbox.AddRange(messages));
        await Outbox.RecordDeliveriesAsync(
            [
                new DeliveryRecord(messages[0].MessageId, MessageStatus.Sent, 1, null, T0.AddDays(-2), null),
                new DeliveryRecord(messages[1].MessageId, MessageStatus.Delivered, 1, null, T0.AddHours(2), null),
                new DeliveryRecord(messages[2].MessageId, MessageStatus.Sent, 1, null, T0.AddHours(1), null),
                new DeliveryRecord(messages[3].MessageId, MessageStatus.Sent, 1, null, T0.AddHours(1), null),
            ],
            Cancel);

        Assert.Equal(
            [new SentRecord("email", "promotional", T0.AddHours(1)), new SentRecord("sms", "transactional", T0.AddHours(2))],
            await Outbox.GetSentAsync(ann, T0.AddDays(-1), Cancel));
    }

    [Fact]
    public async Task FallBack_QueuesTheMessageAgainOnTheNextChannel_WithAFreshAttemptCount()
    {
        var id = NewContactId();
        var message = Message(id, "a", T0) with { Fallback = """[{"channel":"sms","template":"a_sms"},{"channel":"push","template":"a_push"}]""" };
        await CommitAsync(batch => batch.Outbox.Add(message));
        await Outbox.RecordDeliveryAsync(message.MessageId, MessageStatus.Queued, 2, T0.AddHours(1), null, "soft bounce", Cancel);

        await Outbox.FallBackAsync(message.MessageId, "sms", "a_sms", """[{"channel":"push","template":"a_push"}]""", "no email address", Cancel);

        var read = (await Outbox.GetMessageAsync(message.MessageId, Cancel))!;
        Assert.Equal(
            ("sms", "a_sms", """[{"channel":"push","template":"a_push"}]""", MessageStatus.Queued, 0, "no email address"),
            (read.Channel, read.Template, read.Fallback, read.Status, read.Attempts, read.LastError));
        Assert.Single(await Outbox.GetDueDeliveriesAsync("sms", T0, 10, Cancel));
        Assert.Empty(await Outbox.GetDueDeliveriesAsync("email", T0.AddDays(1), 10, Cancel));
    }

    [Fact]
    public async Task RequeueSending_PutsWhatACrashLeftSendingBackInTheQueue()
    {
        var id = NewContactId();
        var (first, second, third) = (Message(id, "a", T0), Message(id, "b", T0), Message(id, "c", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([first, second, third]));
        await Outbox.ClaimAsync([new MessageClaim(first.MessageId, "r", "s", 1), new MessageClaim(second.MessageId, "r", "s", 1)], Cancel);
        await Outbox.RecordDeliveryAsync(second.MessageId, MessageStatus.Sent, 1, null, T0, null, Cancel);

        Assert.Equal(1, await Outbox.RequeueSendingAsync(Cancel));
        Assert.Equal(MessageStatus.Queued, (await Outbox.GetMessageAsync(first.MessageId, Cancel))!.Status);
        Assert.Equal(MessageStatus.Sent, (await Outbox.GetMessageAsync(second.MessageId, Cancel))!.Status);
        Assert.Equal(0, await Outbox.RequeueSendingAsync(Cancel));
    }

    [Fact]
    public async Task RequeueMessage_OnlyAFailedOrDeadLetteredOne_WithAFreshAttemptCount()
    {
        var id = NewContactId();
        var (failed, dead, sent) = (Message(id, "a", T0), Message(id, "b", T0), Message(id, "c", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([failed, dead, sent]));
        await Outbox.RecordDeliveriesAsync(
            [
                new DeliveryRecord(failed.MessageId, MessageStatus.Failed, 3, null, null, "gave up"),
                new DeliveryRecord(dead.MessageId, MessageStatus.DeadLetter, 5, T0.AddHours(1), null, "gave up"),
                new DeliveryRecord(sent.MessageId, MessageStatus.Sent, 1, null, T0, null),
            ],
            Cancel);

        Assert.True(await Outbox.RequeueMessageAsync(failed.MessageId, Cancel));
        Assert.True(await Outbox.RequeueMessageAsync(dead.MessageId, Cancel));
        Assert.False(await Outbox.RequeueMessageAsync(sent.MessageId, Cancel));
        Assert.False(await Outbox.RequeueMessageAsync(failed.MessageId, Cancel));
        Assert.False(await Outbox.RequeueMessageAsync("missing", Cancel));
        Assert.All(
            [(await Outbox.GetMessageAsync(failed.MessageId, Cancel))!, (await Outbox.GetMessageAsync(dead.MessageId, Cancel))!],
            message => Assert.Equal((MessageStatus.Queued, 0), (message.Status, message.Attempts)));
        Assert.Equal(2, (await Outbox.GetDueDeliveriesAsync("email", T0, 10, Cancel)).Count);
    }

    [Fact]
    public async Task QueryMessages_FiltersByEachField_AndTheirCombination_NewestFirst()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var messages = new[]
        {
            Message(ann, "a", T0),
            Message(ann, "b", T0.AddMinutes(1), channel: "sms"),
            Message(bob, "c", T0.AddMinutes(2), journey: "winback"),
            Message(bob, "d", T0.AddMinutes(3), status: MessageStatus.Sent) with { Template = "promo" },
            Message(ann, "e", T0.AddMinutes(4), journey: "winback", status: MessageStatus.Failed) with { Template = "promo" },
        };
        await CommitAsync(batch => batch.Outbox.AddRange(messages));

        async Task<string[]> StepsAsync(MessageQuery query) => [.. (await Outbox.QueryMessagesAsync(query, null, 10, Cancel)).Items.Select(m => m.StepId)];
        Assert.Equal(["e", "d", "c", "b", "a"], await StepsAsync(new MessageQuery()));
        Assert.Equal(["c", "b", "a"], await StepsAsync(new MessageQuery(Status: MessageStatus.Queued)));
        Assert.Equal(["b"], await StepsAsync(new MessageQuery(Channel: "sms")));
        Assert.Equal(["e", "c"], await StepsAsync(new MessageQuery(JourneyId: "winback")));
        Assert.Equal(["e", "d"], await StepsAsync(new MessageQuery(TemplateId: "promo")));
        Assert.Equal(["e", "b", "a"], await StepsAsync(new MessageQuery(ContactId: ann)));
        Assert.Equal(["c", "b"], await StepsAsync(new MessageQuery(From: T0.AddMinutes(1), To: T0.AddMinutes(3))));
        Assert.Equal(["e"], await StepsAsync(new MessageQuery(MessageStatus.Failed, "email", "winback", "promo", ann, T0, T0.AddHours(1))));
        Assert.Equal(["c"], await StepsAsync(new MessageQuery(Status: MessageStatus.Queued, JourneyId: "winback", ContactId: bob)));
        Assert.Equal(["d"], await StepsAsync(new MessageQuery(TemplateId: "promo", ContactId: bob, From: T0.AddMinutes(3))));
        Assert.Empty(await StepsAsync(new MessageQuery(JourneyId: "winback", Channel: "sms")));
        Assert.Empty(await StepsAsync(new MessageQuery(JourneyId: "x' OR '1'='1", TemplateId: "%", Status: "queued; DROP TABLE outbox")));
        Assert.Equal(5, (await Outbox.QueryMessagesAsync(new MessageQuery(), null, 10, Cancel)).Items.Count);
    }

    [Fact]
    public async Task QueryMessages_WalksPagesByCursor_WithNoRowTwiceOrMissing_EvenWhenTimesTie()
    {
        var ann = NewContactId();
        var messages = Enumerable.Range(0, 23).Select(i => Message(ann, $"s{i:00}", T0.AddMinutes(i / 3), journey: i % 2 == 0 ? "even" : "odd")).ToList();
        await CommitAsync(batch => batch.Outbox.AddRange(messages));

        foreach (var (query, expected) in new[] { (new MessageQuery(), messages), (new MessageQuery(JourneyId: "even"), [.. messages.Where(m => m.JourneyId == "even")]) })
        {
            var seen = new List<string>();
            string? cursor = null;
            var pages = 0;
            do
            {
                var page = await Outbox.QueryMessagesAsync(query, cursor, 4, Cancel);
                Assert.True(page.Items.Count is > 0 and <= 4);
                seen.AddRange(page.Items.Select(m => m.MessageId));
                cursor = page.NextCursor;
                pages++;
            }
            while (cursor is not null);

            Assert.Equal(
                expected.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.MessageId, StringComparer.Ordinal).Select(m => m.MessageId),
                seen);
            Assert.Equal((expected.Count + 3) / 4, pages);
        }
    }

    [Fact]
    public async Task QueryMessages_RefusesACursorThatIsForged_OrOfAnotherQuery()
    {
        var ann = NewContactId();
        await CommitAsync(batch => batch.Outbox.AddRange([Message(ann, "a", T0), Message(ann, "b", T0.AddMinutes(1)), Message(ann, "c", T0.AddMinutes(2))]));
        var first = await Outbox.QueryMessagesAsync(new MessageQuery(ContactId: ann), null, 1, Cancel);
        Assert.NotNull(first.NextCursor);

        Assert.Single((await Outbox.QueryMessagesAsync(new MessageQuery(ContactId: ann), first.NextCursor, 1, Cancel)).Items);
        foreach (var cursor in new[] { "garbage", "", "bTp4OjE6eA", "%27%20OR%201=1", Cursors.ForKey('x', new MessageQuery(ContactId: ann).Scope(), T0, "a") })
        {
            await Assert.ThrowsAsync<InvalidCursorException>(() => Outbox.QueryMessagesAsync(new MessageQuery(ContactId: ann), cursor, 1, Cancel));
        }

        await Assert.ThrowsAsync<InvalidCursorException>(() => Outbox.QueryMessagesAsync(new MessageQuery(ContactId: ann, Status: MessageStatus.Queued), first.NextCursor, 1, Cancel));
        await Assert.ThrowsAsync<InvalidCursorException>(() => Outbox.QueryMessagesAsync(new MessageQuery(), first.NextCursor, 1, Cancel));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Outbox.QueryMessagesAsync(new MessageQuery(), null, 0, Cancel));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Outbox.QueryMessagesAsync(new MessageQuery(), null, 1001, Cancel));
    }

    [Fact]
    public async Task ListMessages_InAStatus_OptionallyOfAChannel_NewestFirst()
    {
        var id = NewContactId();
        var messages = new[] { Message(id, "a", T0), Message(id, "b", T0.AddMinutes(1)), Message(id, "c", T0.AddMinutes(2), channel: "sms"), Message(id, "d", T0.AddMinutes(3)) };
        await CommitAsync(batch => batch.Outbox.AddRange(messages));
        await Outbox.RecordDeliveriesAsync([.. messages.Take(3).Select(m => new DeliveryRecord(m.MessageId, MessageStatus.DeadLetter, 5, null, null, "gave up"))], Cancel);

        Assert.Equal(["c", "b", "a"], (await Outbox.ListMessagesAsync(MessageStatus.DeadLetter, null, 10, Cancel)).Select(m => m.StepId));
        Assert.Equal(["b", "a"], (await Outbox.ListMessagesAsync(MessageStatus.DeadLetter, "email", 10, Cancel)).Select(m => m.StepId));
        Assert.Equal(["c"], (await Outbox.ListMessagesAsync(MessageStatus.DeadLetter, null, 1, Cancel)).Select(m => m.StepId));
        Assert.Equal(["d"], (await Outbox.ListMessagesAsync(MessageStatus.Queued, null, 10, Cancel)).Select(m => m.StepId));
    }

    [Fact]
    public async Task CountMessages_OfAJourney_ByVersionStepAndStatus()
    {
        var (ann, bob) = (NewContactId(), NewContactId());
        var messages = new[] { Message(ann, "hello", T0), Message(bob, "hello", T0), Message(ann, "hello", T0, version: 2) with { MessageId = "v2" }, Message(ann, "hello", T0, journey: "other") };
        await CommitAsync(batch => batch.Outbox.AddRange(messages));
        await Outbox.RecordDeliveryAsync(messages[0].MessageId, MessageStatus.Sent, 1, null, T0, null, Cancel);

        Assert.Equal(
            [(1, "hello", MessageStatus.Queued, 1L), (1, "hello", MessageStatus.Sent, 1L), (2, "hello", MessageStatus.Queued, 1L)],
            (await Outbox.CountMessagesAsync("welcome", Cancel)).OrderBy(c => c.Version).ThenBy(c => c.Status, StringComparer.Ordinal));
        Assert.Empty(await Outbox.CountMessagesAsync("missing", Cancel));
    }

    [Fact]
    public async Task RecordEngagement_CountsOpensAndClicks_KeepsEachFirstTime_AndMovesSentToDelivered()
    {
        var id = NewContactId();
        var (message, failed) = (Message(id, "a", T0), Message(id, "b", T0));
        await CommitAsync(batch => batch.Outbox.AddRange([message, failed]));
        await Outbox.RecordDeliveriesAsync([new DeliveryRecord(message.MessageId, MessageStatus.Sent, 1, null, T0, null), new DeliveryRecord(failed.MessageId, MessageStatus.Failed, 1, null, null, "no")], Cancel);

        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Opened, T0.AddMinutes(1), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Opened, T0.AddMinutes(2), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Clicked, T0.AddMinutes(3), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Delivered, T0.AddMinutes(4), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Delivered, T0.AddMinutes(5), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Complained, T0.AddMinutes(6), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Unsubscribed, T0.AddMinutes(7), Cancel);
        await Outbox.RecordEngagementAsync(message.MessageId, Engagement.Unsubscribed, T0.AddMinutes(8), Cancel);
        await Outbox.RecordEngagementAsync(failed.MessageId, Engagement.Delivered, T0.AddMinutes(4), Cancel);
        await Outbox.RecordEngagementAsync("missing", Engagement.Opened, T0, Cancel);

        var read = (await Outbox.GetMessageAsync(message.MessageId, Cancel))!;
        Assert.Equal(
            (2, 1, T0.AddMinutes(1), T0.AddMinutes(3), MessageStatus.Delivered, T0.AddMinutes(4), T0.AddMinutes(6), T0.AddMinutes(7)),
            (read.Opens, read.Clicks, read.OpenedAt, read.ClickedAt, read.Status, read.DeliveredAt, read.ComplainedAt, read.UnsubscribedAt));
        var stillFailed = (await Outbox.GetMessageAsync(failed.MessageId, Cancel))!;
        Assert.Equal((MessageStatus.Failed, T0.AddMinutes(4)), (stillFailed.Status, stillFailed.DeliveredAt));
    }
}
