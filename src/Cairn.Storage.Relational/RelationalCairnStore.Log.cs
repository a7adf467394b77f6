using Microsoft.Extensions.Logging;

namespace Cairn.Storage.Relational;

public abstract partial class RelationalCairnStore
{
    private readonly ILogger _logger;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider}: a commit was rolled back by a transient failure (SQLSTATE {SqlState}) on attempt {Attempt}; it is written again")]
    private static partial void LogCommitRetried(ILogger logger, string provider, int attempt, string? sqlState);
}
