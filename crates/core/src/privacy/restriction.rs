//! Restricting processing of one client: the client is kept, marked
//! (`Client::restricted`), left out of search suggestions, and never sent to a
//! marketplace or counted in analytics. Changing it is audited.

use crate::domain::Client;
use crate::error::Result;
use crate::id::Id;
use crate::store::{record, ClientPatch};
use crate::Workspace;

impl Workspace {
    pub async fn set_client_restricted(&self, client: Id, restricted: bool) -> Result<Client> {
        self.update_client(client, ClientPatch { restricted: Some(restricted), ..Default::default() }).await
    }

    /// Whether processing of the client is restricted (sync and analytics skip it).
    pub async fn is_restricted(&self, client: Id) -> Result<bool> {
        let c: Client = record::fetch(&mut *self.pool().await.acquire().await?, client, true).await?;
        Ok(c.restricted)
    }

    /// How many clients are restricted.
    pub async fn restricted_client_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM clients WHERE restricted = 1 AND deleted_at IS NULL")
            .fetch_one(&self.pool().await)
            .await?)
    }
}
