namespace Cairn.Http.Access;

/// <summary>A stored key as listed: never the key, only its prefix.</summary>
/// <param name="Id">The key's id (to revoke it).</param>
/// <param name="Scope"><c>ingest</c>, <c>read</c>, <c>write</c> or <c>admin</c>.</param>
/// <param name="Name">What it is for.</param>
/// <param name="Prefix">Its first eight characters.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUsedAt">When it last authenticated a request; null if never.</param>
/// <param name="RevokedAt">When it was revoked; null while it works.</param>
/// <param name="RatePerSecond">An ingest key's own rate limit; null when it has the default.</param>
/// <param name="Burst">An ingest key's own burst; null when it has the default.</param>
internal sealed record ApiKeyView(
    string Id, string Scope, string? Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, int? RatePerSecond, int? Burst)
{
    public static ApiKeyView From(ApiKeyRecord key, KeyRing ring)
    {
        var unflushed = ring.UnflushedUse(key.Id);
        var lastUsed = unflushed > key.LastUsedAt || key.LastUsedAt is null ? unflushed : key.LastUsedAt;
        return new(key.Id, AccessControl.NameOf(key.Scope), key.Name, key.Prefix, key.CreatedAt, lastUsed, key.RevokedAt, key.RatePerSecond, key.Burst);
    }
}

/// <summary>
/// The stored keys (revoked ones too, marked), whether keys are also given by configuration (which cannot be revoked
/// here), and the default ingestion limit per ingest key (null: unlimited).
/// </summary>
internal sealed record ApiKeysView(IReadOnlyList<ApiKeyView> Keys, bool ConfiguredWriteKey, bool ConfiguredApiKey, int? IngestRatePerSecond, int? IngestBurst);

/// <summary>
/// A new key: its scope (<c>ingest</c>, <c>read</c>, <c>write</c>, <c>admin</c>), what it is for, and for an ingest key
/// an optional rate limit of its own. <c>kind</c> is the older spelling (<c>write</c> meant an ingest key then).
/// </summary>
internal sealed record NewApiKeyRequest(string? Scope, string? Name, int? RatePerSecond = null, int? Burst = null, string? Kind = null);

/// <summary>A created key: shown once.</summary>
internal sealed record CreatedApiKeyView(ApiKeyView Record, string Key);

/// <summary><c>/api/keys</c> (admins only): list, create (the key is shown once) and revoke scoped API keys.</summary>
internal static class KeyEndpoints
{
    /// <summary>The highest rate a key may be given, in requests per second.</summary>
    public const int MaxRatePerSecond = 1_000_000;

    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys").RequireAdmin();
        keys.MapGet("/", async (ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, CancellationToken cancellationToken) =>
                TypedResults.Ok(new ApiKeysView(
                    [.. (await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false)).Select(key => ApiKeyView.From(key, ring))],
                    !string.IsNullOrEmpty(options.Value.WriteKey),
                    !string.IsNullOrEmpty(options.Value.ApiKey),
                    options.Value.IngestRatePerSecond is > 0 ? options.Value.IngestRatePerSecond : null,
                    options.Value.IngestRatePerSecond is > 0 ? options.Value.IngestBurst ?? options.Value.IngestRatePerSecond : null)))
            .WithSummary("The stored keys (scope, name, prefix, created, last used, revoked) and whether keys are also set by configuration; never the keys themselves.");
        keys.MapPost("/", CreateAsync)
            .Audited("key.created", "key")
            .WithSummary("Creates a key of a scope: ingest (a write key for /v1; optional ratePerSecond and burst), read, write or admin (/api, as a viewer, editor or admin); the key is in the answer, once.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        keys.MapDelete("/{id}", RevokeAsync)
            .Audited("key.revoked", "key")
            .WithSummary("Revokes a stored key: it stops working at once (401) and stays listed as revoked.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>A scope as the API spells it; null when it is none.</summary>
    public static ApiKeyScope? ParseScope(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "ingest" => ApiKeyScope.Ingest,
        "read" => ApiKeyScope.Read,
        "write" => ApiKeyScope.Write,
        "admin" => ApiKeyScope.Admin,
        _ => null,
    };

    private static async Task<Results<Created<CreatedApiKeyView>, ProblemHttpResult>> CreateAsync(
        NewApiKeyRequest request, HttpContext http, ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        ApiKeyScope? scope = request switch
        {
            { Scope: { } given } => ParseScope(given),

            // The older request: kind write (an ingest key, as Segment calls it) or admin.
            { Kind: { } kind } => kind.Trim().ToLowerInvariant() switch
            {
                "write" => ApiKeyScope.Ingest,
                "admin" or "api" => ApiKeyScope.Admin,
                _ => null,
            },
            _ => null,
        };
        if (scope is null)
        {
            return Problems.BadRequest("'scope' must be ingest (sends events to /v1), read, write or admin (the API at /api with a viewer's, an editor's or an admin's rights).");
        }

        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return Problems.BadRequest("'name' must say what the key is for, in at most 100 characters.");
        }

        if (request.RatePerSecond is not null || request.Burst is not null)
        {
            if (scope != ApiKeyScope.Ingest)
            {
                return Problems.BadRequest("Only an ingest key has a rate limit; leave out 'ratePerSecond' and 'burst'.");
            }

            if (request.RatePerSecond is not (>= 1 and <= MaxRatePerSecond))
            {
                return Problems.BadRequest($"'ratePerSecond' must be a whole number from 1 to {MaxRatePerSecond:N0} (requests per second).");
            }

            if (request.Burst is { } burst && burst is < 1 or > MaxRatePerSecond)
            {
                return Problems.BadRequest($"'burst' must be a whole number from 1 to {MaxRatePerSecond:N0} (requests at once; default the rate).");
            }
        }

        var (key, record) = KeyRing.NewKey(scope.Value, name, time.GetUtcNow(), request.RatePerSecond, request.RatePerSecond is null ? null : request.Burst ?? request.RatePerSecond);
        await settingsStore.AddApiKeyAsync(record, cancellationToken).ConfigureAwait(false);
        ring.Set(await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false), options.Value);
        var note = http.AuditNote();
        note.TargetId = record.Id;
        note.Summary = $"Created {KindInWords(scope.Value)} key '{name}' ({record.Prefix}…)";
        return TypedResults.Created($"/api/keys/{record.Id}", new CreatedApiKeyView(ApiKeyView.From(record, ring), key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string id, ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (id.Length > 100 || !await settingsStore.RevokeApiKeyAsync(id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return Problems.NotFound($"No working stored key '{id}' (unknown, or revoked already).");
        }

        ring.Set(await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false), options.Value);
        return TypedResults.NoContent();
    }

    private static string KindInWords(ApiKeyScope scope) => scope switch
    {
        ApiKeyScope.Ingest => "an ingest",
        ApiKeyScope.Admin => "an admin",
        _ => $"a {scope.ToString().ToLowerInvariant()}",
    };
}
