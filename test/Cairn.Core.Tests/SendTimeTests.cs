using Cairn.Core.Orchestration;

namespace Cairn.Core.Tests;

/// <summary>
/// Send-time optimisation: the estimate (own history smoothed toward the population), and a simulation on a synthetic
/// population with planted preferred hours proving the optimised send beats a fixed send hour.
/// </summary>
public sealed class SendTimeTests
{
    // Monday 23 November 2026, 00:00 UTC.
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void WithNoHistoryTheContactGetsThePopulationsBestHour_WithALongOneTheirOwn()
    {
        var population = new double[SendTime.Hours];
        for (var day = 0; day < 7; day++)
        {
            population[(day * 24) + 9] = 100;
        }

        var model = new SendTime(population);
        var now = Monday.AddHours(2);
        Assert.Equal(Monday.AddHours(9), model.Best([], now, TimeSpan.FromHours(24)).At);

        var evenings = Enumerable.Range(0, 20).Select(week => Monday.AddDays(-7 * (week + 1)).AddHours(20)).ToList();
        Assert.Equal(Monday.AddHours(20), model.Best(evenings, now, TimeSpan.FromHours(24)).At);

        // A thin history that says nothing about Mondays leaves the population's Monday morning.
        Assert.Equal(Monday.AddHours(9), model.Best([Monday.AddDays(-6).AddHours(20), Monday.AddDays(-5).AddHours(21)], now, TimeSpan.FromHours(24)).At);

        // Never later than the window allows; now when now is the best.
        Assert.Equal(now, model.Best(evenings, now, TimeSpan.FromHours(3)).At);
    }

    [Fact]
    public void OnASyntheticPopulationWithPlantedHours_TheOptimisedSendBeatsAFixedHour()
    {
        var (optimised, fixedHour, immediate) = Simulate(contacts: 5_000, seed: 42);

        // Reported in docs/benchmarks.md (send-time optimisation).
        Assert.True(optimised > fixedHour * 2, $"optimised {optimised:P1} vs fixed 10:00 {fixedHour:P1}");
        Assert.True(optimised > immediate * 2, $"optimised {optimised:P1} vs immediately {immediate:P1}");
    }

    /// <summary>
    /// Each contact has a planted preferred hour of the day (morning or evening people, a few night owls) and opens
    /// with probability 5% + 35% × a Gaussian (σ = 1.5 h) of the distance from it. Its history is 0 to 12 past opens
    /// drawn around that hour. A send is decided at a random moment of the week and may wait up to 24 h. Returns the
    /// expected open rate of sending at the estimated best time, at the next 10:00 UTC, and at once.
    /// </summary>
    internal static (double Optimised, double Fixed, double Immediate) Simulate(int contacts, int seed)
    {
        var random = new Random(seed);
        var planted = new int[contacts];
        var histories = new List<DateTimeOffset>[contacts];
        var population = new double[SendTime.Hours];
        for (var contact = 0; contact < contacts; contact++)
        {
            var kind = random.NextDouble();
            planted[contact] = kind < 0.45 ? 7 + random.Next(4) : kind < 0.9 ? 18 + random.Next(4) : random.Next(24);
            histories[contact] = [];
            for (var open = random.Next(13); open > 0; open--)
            {
                var hour = ((planted[contact] + (int)Math.Round(Gaussian(random) * 1.2)) % 24 + 24) % 24;
                var at = Monday.AddDays(-random.Next(1, 60)).Date.AddHours(hour);
                histories[contact].Add(new DateTimeOffset(at, TimeSpan.Zero));
                population[SendTime.SlotOf(histories[contact][^1])]++;
            }
        }

        var model = new SendTime(population);
        double Open(int contact, DateTimeOffset at)
        {
            var distance = Math.Abs(at.UtcDateTime.Hour - planted[contact]);
            distance = Math.Min(distance, 24 - distance);
            return 0.05 + (0.35 * Math.Exp(-(distance * distance) / (2 * 1.5 * 1.5)));
        }

        var (optimised, fixedHour, immediate) = (0.0, 0.0, 0.0);
        for (var contact = 0; contact < contacts; contact++)
        {
            var now = Monday.AddMinutes(random.Next(7 * 24 * 60));
            optimised += Open(contact, model.Best(histories[contact], now, TimeSpan.FromHours(24)).At);
            var ten = new DateTimeOffset(now.UtcDateTime.Date.AddHours(10), TimeSpan.Zero);
            fixedHour += Open(contact, ten > now ? ten : ten.AddDays(1));
            immediate += Open(contact, now);
        }

        return (optimised / contacts, fixedHour / contacts, immediate / contacts);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
