using System.CommandLine;
using Cairn.Server;

var root = new RootCommand("Cairn: real-time customer journey orchestration.")
{
    ServeCommand.Create(),
    ImportCommand.Create(),
    ValidateCommand.Create(),
    LintCommand.Create(),
    SimulateCommand.Create(),
    ApplyCommand.Create(),
    ListCommand.Create(),
    EraseCommand.Create(),
    ExportCommand.Create(),
    UsersCommand.Create(),
    KeysCommand.Create(),
    AlertsCommand.Create(),
    RetentionCommand.Create(),
    ClusterCommand.Create(),
    ReportCommand.Create(),
    AuditCommand.Create(),
};

// The web host handles Ctrl-C / SIGTERM itself and drains before exiting; System.CommandLine must not kill it.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
