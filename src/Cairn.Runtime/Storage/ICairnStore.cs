namespace Cairn.Runtime.Storage;

/// <summary>
/// A whole storage provider: the union of the role ports, plus its lifecycle. SQLite and PostgreSQL implement it with
/// the same schema and pass the same compliance suite, port by port. A component depends on the one port it needs
/// (each is registered in DI, resolving to the same store); this union is for the composition root and the host.
/// </summary>
public interface ICairnStore
    : IPartitionWriter, IEventLog, IContactStore, IDocumentStore, ISettingsStore, IJourneyIndex, IOutbox, ISuppressionList,
      IRecipientStore, IHandOffStore, IErasureStore, IExportStore, IUserStore, ISplitStore, IAttributionStore, IAuditStore,
      IAlertStore, IRetentionStore, IAsyncDisposable
{
    /// <summary>The provider's name: <c>sqlite</c> or <c>postgresql</c>.</summary>
    string ProviderName { get; }

    /// <summary>Creates the database when needed and applies every numbered migration not yet applied.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
