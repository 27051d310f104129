using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class InboundProgress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LastError",
                table: "InboundEmails",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastErrorAt",
                table: "InboundEmails",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ScheduledRetries",
                table: "InboundEmails",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Until now Attempts counted the runs a transient failure ended: that is the retry budget from here on.
            migrationBuilder.Sql("UPDATE InboundEmails SET ScheduledRetries = Attempts;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LastError",
                table: "InboundEmails");

            migrationBuilder.DropColumn(
                name: "LastErrorAt",
                table: "InboundEmails");

            migrationBuilder.DropColumn(
                name: "ScheduledRetries",
                table: "InboundEmails");
        }
    }
}
