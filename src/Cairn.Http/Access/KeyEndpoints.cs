namespace Cairn.Http.Access;

/// <summary>A stored key as listed: never the key, only its prefix.</summary>
internal sealed record ApiKeyView(string Id, string Kind, string? Name, string Prefix, DateTimeOffset CreatedAt)
{
    public static ApiKeyView From(ApiKeyRecord key) => new(key.Id, key.Kind == ApiKeyKind.Write ? "write" : "admin", key.Name, key.Prefix, key.CreatedAt);
}

/// <summary>The stored keys, and whether keys are also given by configuration (which cannot be revoked here).</summary>
internal sealed record ApiKeysView(IReadOnlyList<ApiKeyView> Keys, bool ConfiguredWriteKey, bool ConfiguredApiKey);

/// <summary>A new key: its kind (write or admin) and what it is for.</summary>
internal sealed record NewApiKeyRequest(string? Kind, string? Name);

/// <summary>A created key: shown once.</summary>
internal sealed record CreatedApiKeyView(ApiKeyView Record, string Key);

/// <summary><c>/api/keys</c> (admins only): list, create (the key is shown once) and revoke API and write keys.</summary>
internal static class KeyEndpoints
{
    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys").RequireAdmin();
        keys.MapGet("/", async (ISettingsStore settingsStore, IOptions<KeyOptions> options, CancellationToken cancellationToken) =>
                TypedResults.Ok(new ApiKeysView(
                    (await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false)).Select(ApiKeyView.From).ToList(),
                    !string.IsNullOrEmpty(options.Value.WriteKey),
                    !string.IsNullOrEmpty(options.Value.ApiKey))))
            .WithSummary("The stored write and API keys (prefix and name only) and whether keys are also set by configuration.");
        keys.MapPost("/", CreateAsync).Audited("key.created", "key").WithSummary("Creates a write key (ingestion) or an API key (the admin API); the key is in the answer, once.");
        keys.MapDelete("/{id}", RevokeAsync).Audited("key.revoked", "key").WithSummary("Revokes a stored key: it stops working at once.");
        return api;
    }

    private static async Task<Results<Created<CreatedApiKeyView>, ProblemHttpResult>> CreateAsync(
        NewApiKeyRequest request, HttpContext http, ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        ApiKeyKind? kind = request.Kind?.Trim().ToLowerInvariant() switch
        {
            "write" => ApiKeyKind.Write,
            "admin" or "api" => ApiKeyKind.Admin,
            _ => null,
        };
        if (kind is null)
        {
            return Problems.BadRequest("'kind' must be write (ingestion) or admin (the admin API).");
        }

        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return Problems.BadRequest("'name' must say what the key is for, in at most 100 characters.");
        }

        var (key, record) = KeyRing.NewKey(kind.Value, name, time.GetUtcNow());
        await settingsStore.AddApiKeyAsync(record, cancellationToken).ConfigureAwait(false);
        ring.Set(await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false), options.Value);
        var note = http.AuditNote();
        note.TargetId = record.Id;
        note.Summary = $"Created {KindInWords(kind.Value)} key '{name}' ({record.Prefix}…)";
        return TypedResults.Created($"/api/keys/{record.Id}", new CreatedApiKeyView(ApiKeyView.From(record), key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string id, ISettingsStore settingsStore, KeyRing ring, IOptions<KeyOptions> options, CancellationToken cancellationToken)
    {
        if (!await settingsStore.RevokeApiKeyAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return Problems.NotFound($"No stored key '{id}'.");
        }

        ring.Set(await settingsStore.GetApiKeysAsync(cancellationToken).ConfigureAwait(false), options.Value);
        return TypedResults.NoContent();
    }

    private static string KindInWords(ApiKeyKind kind) => kind == ApiKeyKind.Write ? "a write" : "an admin";
}
