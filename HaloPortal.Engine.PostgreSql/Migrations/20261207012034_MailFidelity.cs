using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class MailFidelity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "InboundMessageOwners",
                columns: table => new
                {
                    MessageKey = table.Column<string>(type: "text", nullable: false),
                    InboundEmailId = table.Column<long>(type: "bigint", nullable: false),
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboundMessageOwners", x => x.MessageKey);
                    table.ForeignKey(
                        name: "FK_InboundMessageOwners_InboundEmails_InboundEmailId",
                        column: x => x.InboundEmailId,
                        principalTable: "InboundEmails",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "IngestionSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    OneTicketAcrossMailboxes = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IngestionSettings", x => x.Id);
                });

            migrationBuilder.InsertData(
                table: "IngestionSettings",
                columns: new[] { "Id", "OneTicketAcrossMailboxes" },
                values: new object[] { 1, true });

            migrationBuilder.CreateIndex(
                name: "IX_InboundMessageOwners_InboundEmailId",
                table: "InboundMessageOwners",
                column: "InboundEmailId",
                unique: true);

            // Mail ingested before this migration took its tickets too: record the first such email of each Message-ID as its owner, so a
            // copy of an old email that reaches another mailbox later is recognised instead of opening a second ticket.
            migrationBuilder.Sql("""
                INSERT INTO "InboundMessageOwners" ("MessageKey", "InboundEmailId", "MailboxId", "CreatedAt")
                SELECT e."InternetMessageId", e."Id", e."MailboxId", e."CreatedAt"
                FROM "InboundEmails" e
                WHERE e."Status" = 'Processed' AND e."TicketId" IS NOT NULL AND e."InternetMessageId" IS NOT NULL AND e."InternetMessageId" <> ''
                  AND e."Id" = (SELECT MIN(o."Id") FROM "InboundEmails" o
                                WHERE o."InternetMessageId" = e."InternetMessageId" AND o."Status" = 'Processed' AND o."TicketId" IS NOT NULL)
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "InboundMessageOwners");

            migrationBuilder.DropTable(
                name: "IngestionSettings");
        }
    }
}
