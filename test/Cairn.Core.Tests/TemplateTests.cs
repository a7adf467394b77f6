using System.Text.Json;
using Cairn.Core.Contacts;
using Cairn.Core.Journeys;
using Cairn.Core.Journeys.Engine;
using Cairn.Core.Templates;

namespace Cairn.Core.Tests;

/// <summary>Liquid templates: documents per channel, strict rendering, the model, limits, SMS segments and generated text.</summary>
public sealed class TemplateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ContactId Ann = new(Guid.Parse("0193a3c0-0000-7000-8000-0000000000a1"));

    private static TemplateDefinition Template(string yaml)
    {
        var parsed = DocumentParser.Parse(yaml, "t.yaml");
        Assert.True(parsed.Errors.IsEmpty, string.Join("; ", parsed.Errors));
        return Assert.IsType<ParsedTemplate>(parsed).Template;
    }

    private static IReadOnlyList<string> Errors(string yaml) => [.. DocumentParser.Parse(yaml, "t.yaml").Errors.Select(error => $"{error.Line}: {error.Message}")];

    private static ContactState Contact(params (string Name, object Value)[] traits)
    {
        var contact = ContactState.New(Ann, T0) with { Email = "ann@example.com" };
        foreach (var (name, value) in traits)
        {
            contact = contact with { Traits = contact.Traits.SetItem(name, new TraitValue(JsonSerializer.SerializeToElement(value), T0)) };
        }

        return contact;
    }

    private static RenderModel Model(ContactState contact, object? payload = null, IReadOnlyList<PastEvent>? recent = null) =>
        RenderModel.For(contact, T0, payload is null ? null : JsonSerializer.SerializeToElement(payload), recent ?? [], new MessageContext("m-1", "cart", "send-1", "b", "https://c.example/u/tok", "https://c.example/p/tok"), null);

    [Fact]
    public void AnEmailRendersTraitsTheTriggerEventRecentEventsAndLinks()
    {
        var template = Template("""
            kind: template
            id: cart
            channel: email
            subject: "{{ contact.first_name | default: 'Hi' }}, you left {{ event.items | size }} items"
            html: |
              <p>Hello {{ contact.first_name }} &amp; welcome</p>
              {% for item in event.items %}<li>{{ item.name }} — {{ item.price | times: 2 }}</li>{% endfor %}
              {% if contact.segments contains 'vip' %}VIP{% else %}regular{% endif %} {{ journey.arm | default: 'a' }}
              <a href="{{ message.unsubscribe_url }}">Unsubscribe</a> {{ events[0].name | default: 'none' }} {{ contact.scores.lead | default: 0 }}
            sample:
              event: { items: [ { name: Hat, price: 1 } ] }
            """);
        var contact = Contact(("first_name", "<Ann>"));
        var rendered = TemplateRenderer.Render(template, Model(contact, new { items = new[] { new { name = "Boots", price = 45.5 } } }, [new PastEvent("page_viewed", T0, null)]));

        Assert.True(rendered.Succeeded, rendered.Error);
        Assert.Equal("<Ann>, you left 1 items", rendered["subject"]);
        Assert.Contains("Hello &lt;Ann&gt; &amp; welcome", rendered["html"], StringComparison.Ordinal);
        Assert.Contains("<li>Boots — 91.0</li>", rendered["html"], StringComparison.Ordinal);
        Assert.Contains("regular b", rendered["html"], StringComparison.Ordinal);
        Assert.Contains("href=\"https://c.example/u/tok\"", rendered["html"], StringComparison.Ordinal);
        Assert.Contains("page_viewed", rendered["html"], StringComparison.Ordinal);
    }

    [Fact]
    public void AnUndefinedVariableWithoutADefault_IsARenderError_ButIfAndDefaultAreFine()
    {
        var template = Template("""
            kind: template
            id: t
            channel: sms
            text: "{% if contact.nickname %}Hey {{ contact.nickname }}{% else %}Hi {{ contact.nickname | default: contact.first_name }}{% endif %}"
            """);
        Assert.Equal("Hi Ann", TemplateRenderer.Render(template, Model(Contact(("first_name", "Ann"))))["text"]);

        var strict = Template("kind: template\nid: t\nchannel: sms\ntext: \"Hi {{ contact.plan | upcase }}\"\nsample: { contact: { plan: pro } }");
        var failed = TemplateRenderer.Render(strict, Model(Contact(("first_name", "Ann"))));
        Assert.False(failed.Succeeded);
        Assert.Contains("'contact.plan' is not defined", failed.Error, StringComparison.Ordinal);
        Assert.Empty(failed.Parts);
        Assert.Equal("Hi PRO", TemplateRenderer.Render(strict, Model(Contact(("plan", "pro"))))["text"]);
    }

    [Fact]
    public void TemplatesAreCheckedWhenRead_ParseErrorsUnknownFiltersAndVariablesTheSampleLacks()
    {
        Assert.Contains(Errors("kind: template\nid: t\nchannel: sms\ntext: \"{% if %}\""), error => error.StartsWith("4: 'text' is not valid Liquid", StringComparison.Ordinal));
        Assert.Contains(Errors("kind: template\nid: t\nchannel: sms\ntext: \"{{ contact.first_name | shout }}\""), error => error.Contains("shout", StringComparison.Ordinal));
        Assert.Contains(Errors("kind: template\nid: t\nchannel: sms\ntext: \"{{ event.order_id }}\""), error => error.Contains("'event.order_id' is not defined", StringComparison.Ordinal) && error.Contains("sample", StringComparison.Ordinal));
        Assert.Contains(Errors("kind: template\nid: t\nchannel: email\nsubject: Hi"), error => error.Contains("'html', 'text' or both", StringComparison.Ordinal));
        Assert.Contains(Errors("kind: template\nid: t\nchannel: push\ntitle: Hi"), error => error.Contains("'body' is required", StringComparison.Ordinal));
        Assert.Contains(Errors("kind: template\nid: t\nchannel: sms\ntext: hi\nsubject: nope"), error => error.Contains("subject", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryChannelHasItsParts()
    {
        var push = Template("kind: template\nid: p\nchannel: push\ntitle: \"Hi {{ contact.first_name }}\"\nbody: Your cart\ndeep_link: \"app://cart/{{ contact.id }}\"\ndata:\n  kind: cart\n  who: \"{{ contact.email }}\"");
        var rendered = TemplateRenderer.Render(push, Model(Contact(("first_name", "Ann"))));
        Assert.Equal("Hi Ann", rendered["title"]);
        Assert.Equal("cart", rendered["data.kind"]);
        Assert.Equal("ann@example.com", rendered["data.who"]);
        Assert.Equal($"app://cart/{Ann}", rendered["deep_link"]);

        var webhook = Template("kind: template\nid: w\nchannel: webhook\nurl: \"https://hooks.example/{{ contact.id }}\"\nmethod: PUT\nheaders: { X-Plan: gold }\nbody: '{\"email\": {{ contact.email | json }}}'");
        rendered = TemplateRenderer.Render(webhook, Model(Contact()));
        Assert.Equal("{\"email\": \"ann@example.com\"}", rendered["body"]);
        Assert.Equal("PUT", rendered["method"]);
        Assert.Equal("gold", rendered["headers.X-Plan"]);

        var inApp = Template("kind: template\nid: i\nchannel: in_app\ntitle: Welcome\nbody: Take the tour\naction: { label: Start, url: \"https://app.example/tour\" }");
        Assert.Equal("Start", TemplateRenderer.Render(inApp, Model(Contact()))["action.label"]);
    }

    [Fact]
    public void RunawayTemplatesStopAtTheirLimits()
    {
        const string Loop = "{% for i in (1..10) %}{% for j in (1..100000) %}{% endfor %}{% endfor %}";
        Assert.Contains(Errors($"kind: template\nid: t\nchannel: sms\ntext: \"{Loop}\""), error => error.Contains("past its limit of 100000 steps", StringComparison.Ordinal));
        var loop = new TemplateDefinition("t", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", Loop, 1)] };
        Assert.Contains("past its limit", TemplateRenderer.Render(loop, Model(Contact())).Error, StringComparison.Ordinal);

        var huge = new TemplateDefinition("t", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", "{% for i in (1..5000) %}{{ contact.id }}{{ contact.id }}{{ contact.id }}{% endfor %}", 1)] };
        Assert.Contains("longer than the limit", TemplateRenderer.Render(huge, Model(Contact())).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PastTheCallersTimeLimit_FailsWithTheLimit()
    {
        // Core reads no clock: the caller says how long the render has run. Here it has run a tick past the limit.
        var template = new TemplateDefinition("t", Channel.Sms, new SourceLocation(1, 1)) { Parts = [new TemplatePart("text", "Hi {{ contact.id }}", 1)] };
        var slow = TemplateRenderer.Render(template, Model(Contact()), () => TemplateRenderer.MaxTime + TimeSpan.FromTicks(1));
        Assert.Equal("text: the message took longer than the limit of 2 s to render", slow.Error);

        Assert.True(TemplateRenderer.Render(template, Model(Contact()), () => TemplateRenderer.MaxTime).Succeeded);
    }

    [Theory]
    [InlineData("Hello Ann, your code is 1234", SmsEncoding.Gsm7, 28, 1)]
    [InlineData("Price: 10€ [sale]", SmsEncoding.Gsm7, 20, 1)]
    [InlineData("Ciao Anna 😊", SmsEncoding.Ucs2, 12, 1)]
    public void SmsBodiesReportTheirEncodingAndSegments(string text, SmsEncoding encoding, int units, int segments)
    {
        Assert.Equal(new SmsInfo(encoding, units, segments), SmsInfo.Of(text));
    }

    [Fact]
    public void LongSmsBodiesSplitIntoConcatenatedSegments()
    {
        Assert.Equal(1, SmsInfo.Of(new string('a', 160)).Segments);
        Assert.Equal(2, SmsInfo.Of(new string('a', 161)).Segments);
        Assert.Equal(3, SmsInfo.Of(new string('a', 307)).Segments);
        Assert.Equal(2, SmsInfo.Of(new string('é', 70) + "ж").Segments);
    }

    [Fact]
    public void PlainTextIsGeneratedFromHtml()
    {
        var text = HtmlText.From("""
            <html><head><title>x</title><style>p{color:red}</style></head><body>
            <h1>Your cart</h1><p>Hi&nbsp;Ann, you left <b>2 items</b>.</p>
            <ul><li>Boots</li><li>Hat</li></ul>
            <p><a href="https://shop.example/cart?a=1&amp;b=2">Back to your cart</a><br>Thanks</p>
            </body></html>
            """);
        Assert.Equal("Your cart\n\nHi Ann, you left 2 items.\n\n- Boots\n- Hat\n\nBack to your cart (https://shop.example/cart?a=1&b=2)\nThanks", text);
    }
}
