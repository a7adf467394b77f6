using System.Diagnostics;
using System.Globalization;

namespace Cairn.Testing;

/// <summary>
/// Waits for something another process makes true and that gives no signal to await (a state read over HTTP): checks
/// the condition at once, then again after 5 ms, doubling the pause up to <see cref="MaxInterval"/>, and returns as soon
/// as it holds. When <c>timeout</c> runs out it fails with the caller's description of what did not happen.
/// </summary>
public static class Eventually
{
    /// <summary>The longest pause between two checks.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>Returns once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/> with <paramref name="failure"/> after <paramref name="timeout"/>.</summary>
    /// <remarks>An exception the condition throws ends the wait at once (a process that exited will not become ready).</remarks>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(failure);
        var clock = Stopwatch.StartNew();
        var interval = FirstInterval;
        while (!await condition().ConfigureAwait(false))
        {
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{failure()} (waited {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)");
            }

            await Task.Delay(interval < left ? interval : left, cancellationToken).ConfigureAwait(false);
            interval = interval * 2 < MaxInterval ? interval * 2 : MaxInterval;
        }
    }
}
