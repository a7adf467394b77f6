using Cairn.Runtime.Storage;

namespace Cairn.Storage.Relational;

/// <summary>Identity mappings, inserted or moved to the contact they now resolve to.</summary>
internal sealed class IdentityRows : CommitWriter
{
    private const string Sql =
        "INSERT INTO identities (kind, value, contact_id) VALUES (@kind, @value, @contact_id) ON CONFLICT (kind, value) DO UPDATE SET contact_id = excluded.contact_id";

    public override Task WriteAsync(SqlSession session, CommitBatch batch, CancellationToken cancellationToken) =>
        session.ExecuteManyAsync(
            Sql,
            batch.Identities,
            static (parameters, mapping) =>
            {
                parameters.Add("kind", mapping.Identity.KindName);
                parameters.Add("value", mapping.Identity.Value);
                parameters.Add("contact_id", mapping.ContactId.ToString());
            },
            cancellationToken);
}
