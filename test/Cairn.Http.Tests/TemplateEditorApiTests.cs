using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Cairn.Http.Tests;

/// <summary>
/// What the console's template editor relies on: previews of an unsaved draft, render errors with their part and
/// document line, and test sends through the real channel path that stay out of the outbox.
/// </summary>
public sealed class TemplateEditorApiTests : IAsyncLifetime
{
    private const string Template = """
        kind: template
        id: hello
        channel: email
        subject: "Hello {{ contact.first_name | default: 'there' }}"
        html: |
          <p>Hi</p>
          <p>{{ contact.first_name | default: 'friend' }}</p>
        sample: { contact: { first_name: Sam } }
        """;

    private TestCairn _cairn = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cairn = await TestCairn.StartAsync();
        await _cairn.PutDocumentAsync("templates/hello", Template);
    }

    public async ValueTask DisposeAsync()
    {
        await _cairn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task APreview_RendersTheDraftInTheBody_WithoutSavingIt()
    {
        var draft = Template.Replace("Hello {{", "Welcome back {{", StringComparison.Ordinal);
        using var response = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/preview", new { document = draft }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("Welcome back Sam", preview.GetProperty("parts").GetProperty("subject").GetString());
        Assert.Equal(JsonValueKind.Null, preview.GetProperty("version").ValueKind);

        var stored = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/templates/hello", Cancel);
        Assert.DoesNotContain("Welcome back", stored.GetProperty("document").GetString(), StringComparison.Ordinal);

        // A draft of a template not stored yet previews too.
        using var fresh = await _cairn.Admin.PostAsJsonAsync("/api/templates/brand-new/preview", new { document = "kind: template\nid: brand-new\nchannel: sms\ntext: Hi there" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var sms = (await fresh.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("sms");
        Assert.Equal(("GSM-7", 1), (sms.GetProperty("encoding").GetString(), sms.GetProperty("segments").GetInt32()));
    }

    [Fact]
    public async Task ARenderError_CarriesItsPartAndDocumentLine()
    {
        // Line 7 of the document writes out a variable the chosen sample lacks.
        var draft = Template.Replace(" | default: 'friend'", string.Empty, StringComparison.Ordinal);
        using var undefined = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/preview", new { document = draft, sample = new { contact = new { last_name = "X" } } }, Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, undefined.StatusCode);
        var problem = await undefined.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(("html", 7), (problem.GetProperty("part").GetString(), problem.GetProperty("line").GetInt32()));
        Assert.Contains("'contact.first_name' is not defined", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A draft that does not parse: every error with its line.
        using var invalid = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/preview", new { document = "kind: template\nid: hello\nchannel: email\nsubject: \"{% if %}\"\nhtml: <p>x</p>" }, Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var error = (await invalid.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors").EnumerateArray().First();
        Assert.Equal(4, error.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task ATestSend_GoesThroughTheChannelToTheMailbox_MarkedAsATest_AndNotIntoTheOutbox()
    {
        using var response = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/test-send", new { to = "qa@example.com", document = Template.Replace("Hello {{", "Draft {{", StringComparison.Ordinal) }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(("delivered", "mailbox", "qa@example.com"), (result.GetProperty("status").GetString(), result.GetProperty("transport").GetString(), result.GetProperty("to").GetString()));
        var messageId = result.GetProperty("messageId").GetString()!;
        Assert.StartsWith("test-", messageId, StringComparison.Ordinal);

        var mailbox = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox?to=qa@example.com", Cancel);
        var stored = Assert.Single(mailbox.GetProperty("messages").EnumerateArray());
        Assert.Equal("[Test] Draft Sam", stored.GetProperty("subject").GetString());

        using var outbox = await _cairn.Admin.GetAsync($"/api/messages/{messageId}", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, outbox.StatusCode);

        await _cairn.PutDocumentAsync("templates/note", "kind: template\nid: note\nchannel: sms\ntext: \"Hi {{ contact.first_name | default: 'there' }}\"");
        using var sms = await _cairn.Admin.PostAsJsonAsync("/api/templates/note/test-send", new { to = "+15550100200" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, sms.StatusCode);
        var texts = await _cairn.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox?channel=sms", Cancel);
        Assert.Contains(texts.GetProperty("messages").EnumerateArray(), message => message.GetProperty("text").GetString()!.StartsWith("[Test] Hi ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATestSend_RefusesAMissingOrMalformedAddress_AndAnUnknownTemplate()
    {
        using var none = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/test-send", new { }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        using var malformed = await _cairn.Admin.PostAsJsonAsync("/api/templates/hello/test-send", new { to = "not an address" }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var unknown = await _cairn.Admin.PostAsJsonAsync("/api/templates/nope/test-send", new { to = "qa@example.com" }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
