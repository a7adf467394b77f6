using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Contact rows, inserted or replaced whole: the profile JSON and the columns that lookups, search and sampling read. The
/// search text and the trait keys feed indexes (the full-text or trigram index, the trait table) through the database's
/// triggers, which rewrite them only when the text or the keys changed.
/// </summary>
internal sealed class ContactRows : CommitWriter
{
    private const string Sql = """
        INSERT INTO contacts (id, user_id, email, phone, search, merged_into, first_seen, last_seen, created_at, updated_at, state, bucket, traits)
        VALUES (@id, @user_id, @email, @phone, @search, @merged_into, @first_seen, @last_seen, @created_at, @updated_at, @state, @bucket, @traits)
        ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email, phone = excluded.phone,
            search = excluded.search, merged_into = excluded.merged_into, first_seen = excluded.first_seen,
            last_seen = excluded.last_seen, updated_at = excluded.updated_at, state = excluded.state, bucket = excluded.bucket, traits = excluded.traits
        """;

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Contacts.Values,
            static (parameters, state) =>
            {
                parameters.Add("id", state.Id.ToString());
                parameters.Add("user_id", state.UserId);
                parameters.Add("email", state.Email?.ToLowerInvariant());
                parameters.Add("phone", state.Phone);
                parameters.Add("search", SearchText(state));
                parameters.Add("merged_into", state.MergedInto?.ToString());
                parameters.AddTime("first_seen", state.FirstSeen);
                parameters.AddTime("last_seen", state.LastSeen);
                parameters.AddTime("created_at", state.CreatedAt);
                parameters.AddTime("updated_at", state.UpdatedAt);
                parameters.Add("state", ContactStateJson.Serialize(state));
                parameters.Add("bucket", RelationalCairnStore.SampleBucket(state.Id));
                parameters.Add("traits", TraitKeys.Of(state));
            },
            cancellationToken);

    /// <summary>What search matches against: lower-cased email and display name.</summary>
    private static string SearchText(ContactState state) =>
        string.Join(' ', new[] { state.Email, state.DisplayName }.Where(part => !string.IsNullOrEmpty(part))).ToLowerInvariant();
}
