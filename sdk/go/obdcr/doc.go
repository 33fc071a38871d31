// Open Banking Dynamic Client Registration (DCR): a client registration at a bank as a resource.
package obdcr
