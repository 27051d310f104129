namespace HaloPortal.Sandbox.Graph;

/// <summary>The Graph v1.0 paths the sandbox serves (same as <c>https://graph.microsoft.com/v1.0</c>); <c>me</c> is rewritten to <c>users/{id}</c>.</summary>
internal static class GraphRoutes
{
    public static IEnumerable<GraphRoute> All()
    {
        const string user = "users/{user}";
        const string folder = user + "/mailFolders/{folder}";

        yield return new("GET", user, GraphAccess.User, UserHandlers.GetUser);
        yield return new("GET", user + "/mailboxSettings", GraphAccess.MailboxSettings, UserHandlers.GetMailboxSettings);

        yield return new("GET", user + "/mailFolders", GraphAccess.MailRead, FolderHandlers.ListTop);
        yield return new("POST", user + "/mailFolders", GraphAccess.MailWrite, FolderHandlers.CreateTop);
        yield return new("GET", folder, GraphAccess.MailRead, FolderHandlers.Get);
        yield return new("GET", folder + "/childFolders", GraphAccess.MailRead, FolderHandlers.ListChildren);
        yield return new("POST", folder + "/childFolders", GraphAccess.MailWrite, FolderHandlers.CreateChild);

        yield return new("GET", user + "/messages/delta", GraphAccess.MailRead, DeltaHandlers.AllMessagesDelta);
        yield return new("GET", folder + "/messages/delta", GraphAccess.MailRead, DeltaHandlers.MessagesDelta);
        foreach (var messages in new[] { user + "/messages", folder + "/messages" })
        {
            var message = messages + "/{message}";
            yield return new("GET", messages, GraphAccess.MailRead, MessageHandlers.List);
            yield return new("GET", message, GraphAccess.MailRead, MessageHandlers.Get);
            yield return new("GET", message + "/$value", GraphAccess.MailRead, MessageHandlers.GetMime);
            yield return new("GET", message + "/attachments", GraphAccess.MailRead, MessageHandlers.ListAttachments);
            yield return new("GET", message + "/attachments/{attachment}", GraphAccess.MailRead, MessageHandlers.GetAttachment);
            yield return new("GET", message + "/attachments/{attachment}/$value", GraphAccess.MailRead, MessageHandlers.GetAttachmentValue);
            yield return new("PATCH", message, GraphAccess.MailWrite, MessageHandlers.Update);
            yield return new("POST", message + "/move", GraphAccess.MailWrite, MessageHandlers.Move);
            yield return new("DELETE", message, GraphAccess.MailWrite, MessageHandlers.Delete);
        }

        yield return new("POST", user + "/sendMail", GraphAccess.MailSend, SendMailHandler.SendMail);
        yield return new("POST", user + "/messages", GraphAccess.MailWrite, DraftHandlers.Create);
        yield return new("POST", user + "/messages/{message}/attachments", GraphAccess.MailWrite, DraftHandlers.AddAttachment);
        yield return new("POST", user + "/messages/{message}/attachments/createUploadSession", GraphAccess.MailWrite, DraftHandlers.CreateUploadSession);
        yield return new("POST", user + "/messages/{message}/send", GraphAccess.MailSend, DraftHandlers.Send);

        yield return new("GET", user + "/contacts/delta", GraphAccess.ContactsRead, DeltaHandlers.ContactsDelta);
        yield return new("GET", user + "/contacts", GraphAccess.ContactsRead, ContactHandlers.List);
        yield return new("GET", user + "/contacts/{contact}", GraphAccess.ContactsRead, ContactHandlers.Get);
        yield return new("DELETE", user + "/contacts/{contact}", GraphAccess.ContactsWrite, ContactHandlers.Delete);

        yield return new("GET", "subscriptions", GraphAccess.None, SubscriptionHandlers.List);
        yield return new("POST", "subscriptions", GraphAccess.None, SubscriptionHandlers.Create);
        yield return new("GET", "subscriptions/{subscription}", GraphAccess.None, SubscriptionHandlers.Get);
        yield return new("PATCH", "subscriptions/{subscription}", GraphAccess.None, SubscriptionHandlers.Renew);
        yield return new("DELETE", "subscriptions/{subscription}", GraphAccess.None, SubscriptionHandlers.Delete);
        yield return new("POST", "subscriptions/{subscription}/reauthorize", GraphAccess.None, SubscriptionHandlers.Reauthorize);
    }
}
