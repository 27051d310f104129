using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class Contacts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "DemoContactsSeeded",
                table: "Deployment",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "ContactImportRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Processed = table.Column<int>(type: "INTEGER", nullable: false),
                    Created = table.Column<int>(type: "INTEGER", nullable: false),
                    Updated = table.Column<int>(type: "INTEGER", nullable: false),
                    Unchanged = table.Column<int>(type: "INTEGER", nullable: false),
                    Skipped = table.Column<int>(type: "INTEGER", nullable: false),
                    SkippedJson = table.Column<string>(type: "TEXT", nullable: true),
                    ErrorCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ErrorMessage = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactImportRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ContactImportRuns_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ContactImportSettings",
                columns: table => new
                {
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    MappingsSaved = table.Column<bool>(type: "INTEGER", nullable: false),
                    ScheduleEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    IntervalHours = table.Column<int>(type: "INTEGER", nullable: false),
                    LastFailureCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastFailureMessage = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    LastFailureAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactImportSettings", x => x.MailboxId);
                    table.ForeignKey(
                        name: "FK_ContactImportSettings_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ContactMappings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    OutlookField = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    UserField = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactMappings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ContactMappings_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ContactImportRuns_MailboxId_StartedAt",
                table: "ContactImportRuns",
                columns: new[] { "MailboxId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ContactMappings_MailboxId_UserField",
                table: "ContactMappings",
                columns: new[] { "MailboxId", "UserField" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ContactImportRuns");

            migrationBuilder.DropTable(
                name: "ContactImportSettings");

            migrationBuilder.DropTable(
                name: "ContactMappings");

            migrationBuilder.DropColumn(
                name: "DemoContactsSeeded",
                table: "Deployment");
        }
    }
}
