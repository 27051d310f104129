using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class SyncStateResync : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "LastResyncAt",
                table: "MailboxSyncStates",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastResyncNote",
                table: "MailboxSyncStates",
                type: "TEXT",
                maxLength: 1000,
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
