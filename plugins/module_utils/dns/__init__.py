"""The DNS records the province publishes for its mail (make dns): MX, SPF, DKIM, DMARC, SRV."""
