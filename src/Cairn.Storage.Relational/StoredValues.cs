using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>How the enums of the storage models are stored as text: one definition each, read and written here only.</summary>
internal static class StoredValues
{
    /// <summary>A document status as stored: <c>draft</c>, <c>published</c>, <c>paused</c>, <c>archived</c>.</summary>
    public static string Of(DocumentStatus status) => status switch
    {
        DocumentStatus.Draft => "draft",
        DocumentStatus.Published => "published",
        DocumentStatus.Paused => "paused",
        DocumentStatus.Archived => "archived",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>A stored document status.</summary>
    public static DocumentStatus ParseDocumentStatus(string text) => text switch
    {
        "draft" => DocumentStatus.Draft,
        "published" => DocumentStatus.Published,
        "paused" => DocumentStatus.Paused,
        "archived" => DocumentStatus.Archived,
        _ => throw new InvalidDataException($"Unknown stored document status '{text}'."),
    };

    /// <summary>A rollout scope as stored: <c>enrolled</c> or <c>all_contacts</c>.</summary>
    public static string Of(RolloutScope scope) => scope == RolloutScope.AllContacts ? "all_contacts" : "enrolled";

    /// <summary>A stored rollout scope.</summary>
    public static RolloutScope ParseRolloutScope(string text) => text == "all_contacts" ? RolloutScope.AllContacts : RolloutScope.Enrolled;

    /// <summary>An API key scope as stored: <c>ingest</c>, <c>read</c>, <c>write</c> or <c>admin</c> (migration 0024 renamed the old <c>write</c> kind to <c>ingest</c>).</summary>
    public static string Of(ApiKeyScope scope) => scope switch
    {
        ApiKeyScope.Ingest => "ingest",
        ApiKeyScope.Read => "read",
        ApiKeyScope.Write => "write",
        ApiKeyScope.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    /// <summary>A stored API key scope.</summary>
    public static ApiKeyScope ParseApiKeyScope(string text) => text switch
    {
        "ingest" => ApiKeyScope.Ingest,
        "read" => ApiKeyScope.Read,
        "write" => ApiKeyScope.Write,
        "admin" => ApiKeyScope.Admin,
        _ => throw new InvalidDataException($"Unknown stored API key scope '{text}'."),
    };

    /// <summary>A user role as stored.</summary>
    public static string Of(UserRole role) => role switch
    {
        UserRole.Viewer => "viewer",
        UserRole.Editor => "editor",
        UserRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>A stored user role.</summary>
    public static UserRole ParseUserRole(string text) => text switch
    {
        "viewer" => UserRole.Viewer,
        "editor" => UserRole.Editor,
        "admin" => UserRole.Admin,
        _ => throw new InvalidDataException($"Unknown stored user role '{text}'."),
    };
}
