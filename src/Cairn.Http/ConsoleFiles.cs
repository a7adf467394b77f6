using Microsoft.Extensions.FileProviders;

namespace Cairn.Http;

/// <summary>
/// Serves the web console (the built <c>src/Cairn.Console</c>, copied beside the executable as <c>console/</c>) at
/// <c>/</c>: fingerprinted assets cached for a year, <c>index.html</c> revalidated each time, and every other GET that is
/// not an API path answered with <c>index.html</c> (the console routes in the browser). A strict content security
/// policy: only the server's own scripts, styles, images and API.
/// </summary>
internal static class ConsoleFiles
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; " +
        "connect-src 'self'; frame-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    private static readonly string[] ApiPrefixes = ["/api", "/v1", "/openapi", "/metrics", "/healthz", "/readyz"];

    /// <summary>
    /// Serves the console from <paramref name="root"/> (the default: <c>console/</c> beside the executable), around routing
    /// (which this adds, console or not): files before it, <c>index.html</c> after it where no route matched.
    /// </summary>
    public static WebApplication UseConsole(this WebApplication app, string? root = null)
    {
        root ??= Path.Combine(AppContext.BaseDirectory, "console");
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index))
        {
            app.UseRouting();
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.Use(async (context, next) =>
        {
            if (!IsApi(context.Request.Path))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.XFrameOptions = "DENY";
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl =
                context.Context.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal)
                    ? "public, max-age=31536000, immutable"
                    : "no-cache",
        });
        // After routing, and only where no route matched: a GET of a console path gets index.html. Being no route
        // itself, it takes nothing from the API's own answers (404, 405, 415 for a wrong content type).
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is not null || IsApi(context.Request.Path) || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.SendFileAsync(files.GetFileInfo("index.html"), context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }

    private static bool IsApi(PathString path) => ApiPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
}
