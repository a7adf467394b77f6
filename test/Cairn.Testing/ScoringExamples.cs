namespace Cairn.Testing;

/// <summary>The scoring model the scoring tests share: every kind of rule, a half-life of 10 days, two staged thresholds.</summary>
public static class ScoringExamples
{
    /// <summary>
    /// <c>engagement</c>: /pricing pages +10 (at most 30 a week), demo requests +40, /careers pages −5,
    /// unsubscribes −20; fit +15 for 200+ employees and +10 for VPs and CxOs; lead at 20, MQL at 50, a mark at 80.
    /// </summary>
    public const string Engagement = """
        kind: scoring_model
        id: engagement
        name: Engagement
        half_life: 10d
        rules:
          - id: pricing
            event: $page
            where: { property: path, op: eq, value: /pricing }
            points: 10
            cap: { points: 30, per: 7d }
          - id: demo
            event: demo_requested
            points: 40
          - id: careers
            event: $page
            where: { property: path, op: starts_with, value: /careers }
            points: -5
          - id: unsubscribed
            event: unsubscribed
            points: -20
        fit:
          - id: big-company
            when: { trait: company_size, op: gte, value: 200 }
            points: 15
          - id: decision-maker
            when: { trait: role, op: in, value: [vp, cxo] }
            points: 10
        thresholds:
          - { at: 20, stage: lead }
          - { at: 50, stage: mql }
          - { at: 80 }
        """;
}
