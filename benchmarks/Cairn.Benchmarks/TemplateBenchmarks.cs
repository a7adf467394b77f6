using BenchmarkDotNet.Attributes;
using Cairn.Core.Journeys;
using Cairn.Core.Templates;

namespace Cairn.Benchmarks;

/// <summary>
/// Rendering one message (<see cref="TemplateRenderer.Render"/>) from the example templates with their sample data:
/// the cart reminder email (subject, HTML with a loop over the cart and filters, generated text) and its SMS.
/// </summary>
[MemoryDiagnoser]
public class TemplateBenchmarks
{
    private TemplateDefinition _email = null!;
    private TemplateDefinition _sms = null!;
    private RenderModel _emailModel = null!;
    private RenderModel _smsModel = null!;

    [GlobalSetup]
    public void Setup()
    {
        TemplateDefinition Read(string name) =>
            DocumentParser.Parse<ParsedTemplate>(File.ReadAllText(Path.Combine(BenchmarkData.Root, "examples", "templates", name + ".yaml")), name).Template;

        var message = new MessageContext("m-1", "cart-recovery", "email_1", null, "https://cairn.example.com/u/token", "https://cairn.example.com/u/token?preferences");
        (_email, _sms) = (Read("cart-reminder-1"), Read("cart-reminder-sms"));
        (_emailModel, _smsModel) = (RenderModel.Sample(_email.Sample, message, null), RenderModel.Sample(_sms.Sample, message, null));
        if (!Email().Succeeded || !Sms().Succeeded)
        {
            throw new InvalidOperationException("an example template does not render with its sample");
        }

        Console.WriteLine($"email: {Email()["subject"]} / {Email()["html"].Length} characters of HTML; sms: {Sms()["text"]}");
    }

    [Benchmark]
    public RenderResult Email() => TemplateRenderer.Render(_email, _emailModel);

    [Benchmark]
    public RenderResult Sms() => TemplateRenderer.Render(_sms, _smsModel);
}
