using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cairn.Http.Tests;

/// <summary><c>/api/lint</c> on the real host: the stored documents, drafts in their place, the facts only the stores know, and bad bodies.</summary>
public sealed class LintApiTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string BareEmail = "kind: template\nid: promo\nchannel: email\nsubject: \"Hi {{ contact.nickname | default: 'there' }}\"\nhtml: \"<p>Hi</p>\"\n";

    private const string Journey = """
        id: cart
        name: Cart
        category: promotional
        owner: growth@example.com
        trigger: { event: cart_abandoned }
        steps:
          - id: email
            send: { channel: email, template: promo }
            next: opened
          - id: opened
            wait_for: { event: coupon_redeemed, timeout: 2d }
            exits: { happened: end, timed_out: end }
        """;

    private static async Task<JsonElement> LintAsync(TestCairn cairn, string query = "")
    {
        using var response = await cairn.Admin.GetAsync("/api/lint" + query, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static List<string> Codes(JsonElement view) =>
        [.. view.GetProperty("findings").EnumerateArray().Select(finding => $"{finding.GetProperty("severity").GetString()} {finding.GetProperty("code").GetString()} {finding.GetProperty("subjects")[0].GetProperty("kind").GetString()}/{finding.GetProperty("subjects")[0].GetProperty("id").GetString()}")];

    private static async Task<HttpResponseMessage> PostAsync(TestCairn cairn, string body, string mediaType) =>
        await cairn.Admin.PostAsync("/api/lint", new StringContent(body, Encoding.UTF8, mediaType), Cancel);

    [Fact]
    public async Task Lint_TheStoredDocuments_UsesWhatTheStoresKnow()
    {
        await using var cairn = await TestCairn.StartAsync();
        await cairn.PutDocumentAsync("templates/promo", BareEmail);
        await cairn.PutDocumentAsync("journeys/cart", Journey);
        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"plan":"pro"}}""");

        var view = await LintAsync(cairn);

        Assert.Equal(
            ["error missing-postal-address template/promo", "error missing-unsubscribe template/promo", "warning stale-wait-for journey/cart", "warning unknown-trait template/promo"],
            Codes(view));
        Assert.Equal((2, 2), (view.GetProperty("errors").GetInt32(), view.GetProperty("warnings").GetInt32()));
        var stale = view.GetProperty("findings")[2].GetProperty("subjects")[0];
        Assert.Equal(("opened", 10), (stale.GetProperty("step").GetString(), stale.GetProperty("line").GetInt32()));

        // Once a source sends the awaited event and a contact has the trait, those two findings go.
        await cairn.SendAsync("track", """{"userId":"ann","event":"coupon_redeemed"}""");
        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"nickname":"Annie"}}""");
        Assert.Equal(["error missing-postal-address template/promo", "error missing-unsubscribe template/promo"], Codes(await LintAsync(cairn)));

        // One document's findings, as the journey canvas asks for them: the template's name the journey's send step too.
        Assert.Equal(2, Codes(await LintAsync(cairn, "?kind=journey&id=cart")).Count);
        Assert.Equal("email", (await LintAsync(cairn, "?kind=journey&id=cart")).GetProperty("findings")[0].GetProperty("subjects")[1].GetProperty("step").GetString());
        Assert.Empty(Codes(await LintAsync(cairn, "?kind=journey&id=other")));
        using var half = await cairn.Admin.GetAsync("/api/lint?kind=journey", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, half.StatusCode);
    }

    [Fact]
    public async Task Lint_OverlappingPromotions_QuoteTheAudienceOverlapOfTheStoredContacts()
    {
        await using var cairn = await TestCairn.StartAsync();
        await cairn.PutDocumentAsync("templates/promo", BareEmail.Replace("<p>Hi</p>", "<p>Hi {{ workspace.address }} {{ message.unsubscribe_url }}</p>", StringComparison.Ordinal));
        foreach (var (id, plan) in new[] { ("first", "pro"), ("second", "pro") })
        {
            await cairn.PutDocumentAsync($"journeys/{id}", $"id: {id}\nname: {id}\ncategory: promotional\nowner: me@example.com\ntrigger: {{ event: signed_up }}\nentry: {{ audience: {{ trait: plan, op: eq, value: {plan} }} }}\nsteps:\n  - id: email\n    send: {{ channel: email, template: promo }}\n");
        }

        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"plan":"pro","nickname":"A"}}""");
        await cairn.SendAsync("identify", """{"userId":"bob","traits":{"plan":"free"}}""");

        var finding = Assert.Single((await LintAsync(cairn)).GetProperty("findings").EnumerateArray());

        Assert.Equal("overlapping-promotions", finding.GetProperty("code").GetString());
        Assert.Contains(" 1 of 2 contacts match both audiences today.", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_DraftsInAYamlOrJsonList_ReplaceTheStoredDocuments_AndAreStoredNowhere()
    {
        await using var cairn = await TestCairn.StartAsync();
        await cairn.PutDocumentAsync("templates/promo", BareEmail);
        await cairn.PutDocumentAsync("journeys/cart", Journey);
        await cairn.SendAsync("identify", """{"userId":"ann","traits":{"nickname":"A"}}""");
        await cairn.SendAsync("track", """{"userId":"ann","event":"coupon_redeemed"}""");

        var fixedTemplate = BareEmail.Replace("<p>Hi</p>", "<p>Hi {{ workspace.address }} <a href='{{ message.unsubscribe_url }}'>Unsubscribe</a></p>", StringComparison.Ordinal);
        var yaml = "- " + string.Join("\n  ", fixedTemplate.TrimEnd().Split('\n')) + "\n- kind: segment\n  id: unused\n  name: Unused\n  condition: { tag: x }\n";
        using (var response = await PostAsync(cairn, yaml, "application/yaml"))
        {
            var view = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, view.ToString());
            Assert.Equal(["warning unused-segment segment/unused"], Codes(view));
            Assert.Equal(6, view.GetProperty("findings")[0].GetProperty("subjects")[0].GetProperty("line").GetInt32());
        }

        // A JSON array; a draft that does not parse is an error finding at its line in the list.
        using (var response = await PostAsync(cairn, """[{"kind":"template","id":"promo","channel":"email","subject":"x","html":"{{ workspace.address }} {{ message.unsubscribe_url }}"},""" + "\n" + """{"kind":"journey","name":"no id"}]""", "application/json"))
        {
            var view = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, view.ToString());
            Assert.True(Codes(view).SequenceEqual(["error invalid-document journey/draft 2", "error invalid-document journey/draft 2", "error invalid-document journey/draft 2"]), view.ToString());
            Assert.All(view.GetProperty("findings").EnumerateArray(), finding => Assert.Equal(2, finding.GetProperty("subjects")[0].GetProperty("line").GetInt32()));
        }

        // Nothing was stored: the stored template still lacks its footer.
        Assert.Equal(["error missing-postal-address template/promo", "error missing-unsubscribe template/promo"], Codes(await LintAsync(cairn)));
        using var empty = await cairn.Admin.PostAsync("/api/lint", null, Cancel);
        Assert.Equal(2, (await empty.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors").GetInt32());
    }

    [Theory]
    [InlineData("kind: template\nid: x\n", "application/yaml", 400, "must be a list of documents")]
    [InlineData("- 1\n- 2\n", "application/yaml", 400, "item 1 of the list is not a document")]
    [InlineData("[{\"kind\": \"template\"", "application/json", 400, "not valid YAML or JSON")]
    [InlineData("[1]", "text/csv", 415, "\"status\":415")]
    public async Task Post_ABodyThatIsNotAListOfDocuments_IsAProblem(string body, string mediaType, int status, string detail)
    {
        await using var cairn = await TestCairn.StartAsync();

        using var response = await PostAsync(cairn, body, mediaType);

        Assert.True(status == (int)response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_DeepTooManyOrHugeLists_AreRefusedBeforeTheyAreRead()
    {
        await using var cairn = await TestCairn.StartAsync();

        using var deep = await PostAsync(cairn, "[{\"a\":" + string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000)) + "}]", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Contains("nest deeper than 128", await deep.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var many = await PostAsync(cairn, string.Concat(Enumerable.Repeat("- { kind: segment, id: s, name: S, static: true }\n", 1001)), "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        Assert.Contains("more than 1000 documents", await many.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var huge = await PostAsync(cairn, "- " + new string('x', 4 * 1024 * 1024), "application/yaml");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }
}
