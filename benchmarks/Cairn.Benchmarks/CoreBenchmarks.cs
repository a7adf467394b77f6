using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cairn.Core;
using Cairn.Core.Contacts;
using Cairn.Core.Messages;

namespace Cairn.Benchmarks;

/// <summary>The pure core: reading Segment JSON and deciding a profile update.</summary>
[MemoryDiagnoser]
public class CoreBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Contact = new(Guid.Parse("0193a5f0-0000-7000-8000-000000000001"));

    private JsonDocument _track = null!;
    private JsonDocument _batch = null!;
    private SegmentMessage _trackMessage = null!;
    private SegmentMessage _identifyMessage = null!;
    private ContactState _state = null!;

    public static string TrackJson(int i) =>
        $"{{\"type\":\"track\",\"messageId\":\"bench-{i}\",\"userId\":\"user-{i % 1000}\",\"event\":\"Product Viewed\",\"properties\":{{\"sku\":\"SKU-{i}\",\"price\":19.99,\"currency\":\"EUR\",\"category\":\"shoes\"}},\"context\":{{\"ip\":\"203.0.113.7\",\"userAgent\":\"Mozilla/5.0\",\"page\":{{\"path\":\"/p/sku-{i}\",\"url\":\"https://shop.example/p/sku-{i}\"}}}},\"timestamp\":\"2026-11-24T11:59:58.000Z\",\"sentAt\":\"2026-11-24T11:59:59.000Z\"}}";

    [GlobalSetup]
    public void Setup()
    {
        _track = JsonDocument.Parse(TrackJson(1));
        var batch = new StringBuilder("{\"batch\":[");
        for (var i = 0; i < 500; i++)
        {
            batch.Append(i == 0 ? string.Empty : ",").Append(TrackJson(i));
        }

        _batch = JsonDocument.Parse(batch.Append("]}").ToString());
        _trackMessage = Read(_track.RootElement);
        using var identify = JsonDocument.Parse("""{"type":"identify","userId":"user-1","traits":{"email":"Ann@Example.com","name":"Ann Lee","plan":"pro","phone":"+44 20 7946 0958","country":"GB"}}""");
        _identifyMessage = Read(identify.RootElement);
        _state = ContactDecider.Decide(null, new MessageReceived(Contact, _identifyMessage), Now).State;
    }

    [Benchmark(Description = "Read one track message")]
    public SegmentMessage ReadTrack() => Read(_track.RootElement);

    [Benchmark(Description = "Read a 500-message batch")]
    public int ReadBatch()
    {
        var count = 0;
        foreach (var message in _batch.RootElement.GetProperty("batch").EnumerateArray())
        {
            count += Read(message).Json.Length > 0 ? 1 : 0;
        }

        return count;
    }

    [Benchmark(Description = "Decide: track on an existing contact")]
    public Decision DecideTrack() => ContactDecider.Decide(_state, new MessageReceived(Contact, _trackMessage), Now);

    [Benchmark(Description = "Decide: identify with traits on an existing contact")]
    public Decision DecideIdentify() => ContactDecider.Decide(_state, new MessageReceived(Contact, _identifyMessage), Now);

    private static SegmentMessage Read(JsonElement element) =>
        SegmentMessageReader.TryRead(element, null, Now, null, () => "generated", out var message, out var error)
            ? message
            : throw new InvalidOperationException(error);
}
