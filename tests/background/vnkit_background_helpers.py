"""Constants shared by the Background API and webhook tests (a module with a name no other
test folder uses, so test files can import it whatever else pytest has collected)."""

ARTICLE = "Nordlys Handel AS"  # the article company (one company in its tenant)
KALEVA, KALEVA_2 = 4127803, 4127804  # two companies sharing one tenant
SCOPES = ("vismanet_erp_service_api:read vismanet_erp_service_api:create "
          "vismanet_erp_service_api:update vismanet_erp_service_api:delete")
