using Cairn.Core.Contacts;

namespace Cairn.Core.Orchestration;

/// <summary>
/// The workspace's global control group: the contacts whose <see cref="ContactBucket"/> falls in the top
/// <see cref="MeasurementSettings.GlobalControlPercent"/> of the bucket range. Membership depends only on the id and the
/// percent: growing the percent only adds contacts (lower buckets join), shrinking it only removes some; nobody is
/// reshuffled. Segment previews sample from the bottom of the range, so the two do not overlap below 50 %.
/// </summary>
public static class GlobalControlGroup
{
    /// <summary>The lowest bucket in the group for <paramref name="percent"/> (<see cref="ContactBucket.Count"/> when it is empty).</summary>
    public static int FirstBucket(double percent)
    {
        var buckets = (int)Math.Round(Math.Clamp(percent, 0, 100) * ContactBucket.Count / 100, MidpointRounding.AwayFromZero);
        return ContactBucket.Count - buckets;
    }

    /// <summary>True when <paramref name="id"/> is in the group of <paramref name="percent"/>.</summary>
    public static bool Contains(ContactId id, double percent) => ContactBucket.Of(id) >= FirstBucket(percent);
}
