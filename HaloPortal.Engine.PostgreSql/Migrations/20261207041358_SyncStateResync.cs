using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class SyncStateResync : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LastResyncAt",
                table: "MailboxSyncStates",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastResyncNote",
                table: "MailboxSyncStates",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LastResyncAt",
                table: "MailboxSyncStates");

            migrationBuilder.DropColumn(
                name: "LastResyncNote",
                table: "MailboxSyncStates");
        }
    }
}
