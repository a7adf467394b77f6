namespace Cairn.Runtime.Storage;

/// <summary>
/// Whether an address is on the suppression list, looked up as the channels look it up before they send (the list keeps
/// addresses by keyed hash, so only a holder of the workspace's address key can ask): what a simulation applies so that
/// it holds back what a real run would. Implemented by the messaging dispatcher.
/// </summary>
public interface ISuppressionCheck
{
    /// <summary>Why <paramref name="address"/> is suppressed on <paramref name="channel"/> (<c>email</c>, <c>sms</c>), e.g. <c>hard bounce: …</c>; null when it is not.</summary>
    /// <param name="channel">The channel: <c>email</c> or <c>sms</c>.</param>
    /// <param name="address">The email address or phone number.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    Task<string?> SuppressedBecauseAsync(string channel, string address, CancellationToken cancellationToken);
}
