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
