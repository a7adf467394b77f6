using System.Collections.Immutable;
using Cairn.Core;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Tests;

/// <summary><see cref="IDocumentStore"/>: drafts, versions, status, and the rollouts publishing starts.</summary>
public abstract class DocumentStoreCompliance(StoreProvider provider) : StoreCompliance(provider)
{
    private IDocumentStore Documents => Store;

    [Fact]
    public async Task Documents_DraftPublishVersionsAndStatus()
    {
        Assert.Null(await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel));
        Assert.Null(await Documents.PublishAsync(DocumentKind.Journey, "welcome", T0, null, Cancel));
        Assert.True(await Documents.SaveDraftAsync(DocumentKind.Journey, "welcome", "id: welcome # v1", T0, Cancel));
        Assert.False(await Documents.SaveDraftAsync(DocumentKind.Journey, "welcome", "id: welcome # v1", T0.AddMinutes(1), Cancel));
        var draft = await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel);
        Assert.Equal((DocumentStatus.Draft, null, true, T0), (draft!.Status, draft.PublishedVersion, draft.DraftDiffersFromPublished, draft.UpdatedAt));

        Assert.Equal((1, true), await Documents.PublishAsync(DocumentKind.Journey, "welcome", T0.AddMinutes(2), null, Cancel));
        Assert.Equal((1, false), await Documents.PublishAsync(DocumentKind.Journey, "welcome", T0.AddMinutes(3), null, Cancel));
        Assert.False((await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel))!.DraftDiffersFromPublished);
        Assert.True(await Documents.SaveDraftAsync(DocumentKind.Journey, "welcome", "id: welcome # v2", T0.AddMinutes(4), Cancel));
        Assert.True((await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel))!.DraftDiffersFromPublished);
        Assert.Equal((2, true), await Documents.PublishAsync(DocumentKind.Journey, "welcome", T0.AddMinutes(5), null, Cancel));

        Assert.True(await Documents.SetStatusAsync(DocumentKind.Journey, "welcome", DocumentStatus.Paused, T0.AddMinutes(6), Cancel));
        Assert.False(await Documents.SetStatusAsync(DocumentKind.Journey, "missing", DocumentStatus.Paused, T0, Cancel));
        var paused = await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel);
        Assert.Equal((DocumentStatus.Paused, 2, false, T0.AddMinutes(6)), (paused!.Status, paused.PublishedVersion, paused.DraftDiffersFromPublished, paused.UpdatedAt));

        // Publishing an unchanged, paused document resumes it on the same version.
        Assert.Equal((2, false), await Documents.PublishAsync(DocumentKind.Journey, "welcome", T0.AddMinutes(7), null, Cancel));
        Assert.Equal(DocumentStatus.Published, (await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel))!.Status);
        Assert.True(await Documents.SetStatusAsync(DocumentKind.Journey, "welcome", DocumentStatus.Archived, T0.AddMinutes(8), Cancel));
        Assert.Equal(DocumentStatus.Archived, (await Documents.GetDocumentAsync(DocumentKind.Journey, "welcome", Cancel))!.Status);

        var versions = await Documents.GetVersionsAsync(DocumentKind.Journey, Cancel);
        Assert.Equal(["id: welcome # v1", "id: welcome # v2"], versions.Select(v => v.Body));
        Assert.Equal((DocumentKind.Journey, "welcome", 2, T0.AddMinutes(5)), (versions[1].Kind, versions[1].Id, versions[1].Version, versions[1].PublishedAt));
    }

    [Fact]
    public async Task Documents_AreKeptApartByKind_AndListedById()
    {
        await Documents.SaveDraftAsync(DocumentKind.Template, "welcome", "kind: template", T0, Cancel);
        await Documents.SaveDraftAsync(DocumentKind.Journey, "welcome", "id: welcome", T0, Cancel);
        await Documents.SaveDraftAsync(DocumentKind.Journey, "cart", "id: cart", T0, Cancel);
        await Documents.PublishAsync(DocumentKind.Template, "welcome", T0, null, Cancel);

        Assert.Equal(["cart", "welcome"], (await Documents.ListDocumentsAsync(DocumentKind.Journey, Cancel)).Select(d => d.Id));
        Assert.Equal("kind: template", Assert.Single(await Documents.ListDocumentsAsync(DocumentKind.Template, Cancel)).Draft);
        Assert.Empty(await Documents.ListDocumentsAsync(DocumentKind.Segment, Cancel));
        Assert.Empty(await Documents.GetVersionsAsync(DocumentKind.Journey, Cancel));
        Assert.Equal(DocumentKind.Template, Assert.Single(await Documents.GetVersionsAsync(DocumentKind.Template, Cancel)).Kind);
    }

    [Fact]
    public async Task Publish_WithAPlan_RecordsARolloutThatResumesFromItsProgress()
    {
        var plan = new RolloutPlan(ImmutableDictionary<string, string>.Empty.Add("wait_1h", "wait_2h"), RolloutScope.Enrolled);
        await Documents.SaveDraftAsync(DocumentKind.Journey, "cart", "id: cart # v1", T0, Cancel);
        Assert.Equal((1, true), await Documents.PublishAsync(DocumentKind.Journey, "cart", T0, null, Cancel));
        Assert.Empty(await Documents.GetRolloutsAsync(DocumentKind.Journey, "cart", Cancel));

        await Documents.SaveDraftAsync(DocumentKind.Journey, "cart", "id: cart # v2", T0, Cancel);
        Assert.Equal((2, true), await Documents.PublishAsync(DocumentKind.Journey, "cart", T0.AddMinutes(1), plan, Cancel));
        var rollout = Assert.Single(await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel));
        Assert.Equal(
            (DocumentKind.Journey, "cart", 2, "wait_2h", RolloutScope.Enrolled, null, 0L, false, T0.AddMinutes(1)),
            (rollout.Kind, rollout.JourneyId, rollout.Version, rollout.Plan.StepMap["wait_1h"], rollout.Plan.Scope, rollout.After, rollout.Processed, rollout.Done, rollout.CreatedAt));

        await Documents.SaveRolloutProgressAsync(DocumentKind.Journey, "cart", 2, "0190-last", 500, done: false, T0.AddMinutes(2), Cancel);
        var progressed = Assert.Single(await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel));
        Assert.Equal(("0190-last", 500L, T0.AddMinutes(2)), (progressed.After, progressed.Processed, progressed.UpdatedAt));
        await Documents.SaveRolloutProgressAsync(DocumentKind.Journey, "cart", 2, "0190-end", 730, done: true, T0.AddMinutes(3), Cancel);
        Assert.Empty(await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel));
        Assert.True(Assert.Single(await Documents.GetRolloutsAsync(DocumentKind.Journey, "cart", Cancel)).Done);

        // Publishing the unchanged draft again with a map starts the rollout of the current version over.
        Assert.Equal((2, false), await Documents.PublishAsync(DocumentKind.Journey, "cart", T0.AddMinutes(4), plan with { StepMap = plan.StepMap.Add("email_1", "email_1") }, Cancel));
        var again = Assert.Single(await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel));
        Assert.Equal((2, 0L, 2, null), (again.Version, again.Processed, again.Plan.StepMap.Count, again.After));

        // Unchanged, with an empty map: nothing to roll out.
        Assert.Equal((2, false), await Documents.PublishAsync(DocumentKind.Journey, "cart", T0.AddMinutes(5), plan with { StepMap = ImmutableDictionary<string, string>.Empty }, Cancel));
        Assert.Equal(2, (await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel)).Single().Plan.StepMap.Count);
    }

    [Fact]
    public async Task Rollouts_OfEveryKind_ThatAreNotDone_AreListedTogether_OldestFirst()
    {
        var everyone = new RolloutPlan(ImmutableDictionary<string, string>.Empty, RolloutScope.AllContacts);
        await Documents.SaveDraftAsync(DocumentKind.Segment, "vip", "kind: segment", T0, Cancel);
        await Documents.PublishAsync(DocumentKind.Segment, "vip", T0.AddMinutes(1), everyone, Cancel);
        await Documents.SaveDraftAsync(DocumentKind.ScoringModel, "fit", "kind: scoring_model", T0, Cancel);
        await Documents.PublishAsync(DocumentKind.ScoringModel, "fit", T0.AddMinutes(2), everyone, Cancel);

        var pending = await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel);
        Assert.Equal([(DocumentKind.Segment, "vip"), (DocumentKind.ScoringModel, "fit")], pending.Select(r => (r.Kind, r.JourneyId)));
        Assert.All(pending, rollout => Assert.Equal(RolloutScope.AllContacts, rollout.Plan.Scope));

        // Asked by id, a rollout is found under its own kind only.
        Assert.Single(await Documents.GetRolloutsAsync(DocumentKind.Segment, "vip", Cancel));
        Assert.Empty(await Documents.GetRolloutsAsync(DocumentKind.Journey, "vip", Cancel));
        await Documents.SaveRolloutProgressAsync(DocumentKind.Segment, "vip", 1, null, 0, done: true, T0.AddMinutes(3), Cancel);
        Assert.Equal(["fit"], (await Documents.GetRolloutsAsync(DocumentKind.Journey, null, Cancel)).Select(r => r.JourneyId));
    }
}
