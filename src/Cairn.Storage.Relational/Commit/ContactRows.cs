using Cairn.Core.Contacts;
using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>
/// Contact rows, inserted or replaced whole: the profile JSON and the columns that lookups, search and sampling read. The
/// search text and the trait keys feed indexes (the full-text or trigram index, the trait table) through the database's
/// triggers, which rewrite them only when the text or the keys changed. A contact whose change is only its profile
/// (<see cref="CommitBatch.ProfilesOnly"/>: most events, which add to its counts and move its last-seen time) has only
/// those columns set: the database then leaves the row's six indexes alone, where setting every column makes SQLite
/// rewrite each index entry (a page of each written to the log at every commit).
/// </summary>
internal sealed class ContactRows : CommitWriter
{
    private const string Insert = """
        INSERT INTO contacts (id, user_id, email, phone, search, merged_into, first_seen, last_seen, created_at, updated_at, state, bucket, traits)
        VALUES (@id, @user_id, @email, @phone, @search, @merged_into, @first_seen, @last_seen, @created_at, @updated_at, @state, @bucket, @traits)
        """;

    private const string Sql = Insert + """

        ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email, phone = excluded.phone,
            search = excluded.search, merged_into = excluded.merged_into, first_seen = excluded.first_seen,
            last_seen = excluded.last_seen, updated_at = excluded.updated_at, state = excluded.state, bucket = excluded.bucket, traits = excluded.traits
        """;

    private const string ProfileSql = Insert + """

        ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, updated_at = excluded.updated_at, state = excluded.state
        """;

    public override async Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken)
    {
        await session.ExecuteManyAsync(Sql, batch.Contacts.Values.Where(state => !batch.ProfilesOnly.Contains(state.Id)), Bind, cancellationToken).ConfigureAwait(false);
        await session.ExecuteManyAsync(ProfileSql, batch.Contacts.Values.Where(state => batch.ProfilesOnly.Contains(state.Id)), Bind, cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(Parameters parameters, ContactState state)
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
    }

    /// <summary>What search matches against: lower-cased email and display name.</summary>
    private static string SearchText(ContactState state) =>
        string.Join(' ', new[] { state.Email, state.DisplayName }.Where(part => !string.IsNullOrEmpty(part))).ToLowerInvariant();
}
