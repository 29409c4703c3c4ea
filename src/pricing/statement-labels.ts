// What a statement says, in the customer's language. The culture is the legacy customer's own
// (Partner Center keeps it on the customer), else the likeliest language of the customer's country
// (CustomerCountry, through Intl's likely-subtags data), else en-US. A language without a text here
// (or a script the embedded font lacks: Japanese, Chinese, Korean) is written in English with the
// country's conventions (en-JP: "October 2026", "¥1,234").

export interface StatementLabels {
  readonly title: (month: string) => string;
  readonly customer: string;
  readonly tenant: string;
  readonly period: string;
  readonly currency: string;
  readonly total: string;
  readonly bySubscription: string;
  readonly byCategory: string;
  readonly byDay: string;
  readonly noCategory: string;
  readonly footnote: (f: { issuer: string; currency: string; decimals: number; difference: string }) => string;
}

const en: StatementLabels = {
  title: (m) => `Statement of Azure usage — ${m}`,
  customer: 'Customer',
  tenant: 'Tenant',
  period: 'Billing period',
  currency: 'Currency',
  total: 'Total',
  bySubscription: 'By subscription',
  byCategory: 'By meter category',
  byDay: 'By day',
  noCategory: '(no category)',
  footnote: (f) =>
    `Amounts are at the prices agreed with ${f.issuer}, before tax. Each amount is rounded to the ` +
    `${f.currency} minor unit (${f.decimals} decimals), half away from zero; rounding difference of ` +
    `the total against the subscriptions' amounts: ${f.difference}.`,
};

const LABELS: Readonly<Record<string, StatementLabels>> = {
  en,
  de: {
    title: (m) => `Abrechnung der Azure-Nutzung — ${m}`,
    customer: 'Kunde',
    tenant: 'Mandant',
    period: 'Abrechnungszeitraum',
    currency: 'Währung',
    total: 'Gesamt',
    bySubscription: 'Nach Abonnement',
    byCategory: 'Nach Verbrauchskategorie',
    byDay: 'Nach Tag',
    noCategory: '(ohne Kategorie)',
    footnote: (f) =>
      `Beträge zu den mit ${f.issuer} vereinbarten Preisen, ohne Steuern. Jeder Betrag ist auf die ` +
      `kleinste Einheit von ${f.currency} (${f.decimals} Nachkommastellen) kaufmännisch gerundet; ` +
      `Rundungsdifferenz des Gesamtbetrags zu den Beträgen der Abonnements: ${f.difference}.`,
  },
  fr: {
    title: (m) => `Relevé de consommation Azure — ${m}`,
    customer: 'Client',
    tenant: 'Locataire',
    period: 'Période de facturation',
    currency: 'Devise',
    total: 'Total',
    bySubscription: 'Par abonnement',
    byCategory: 'Par catégorie de compteur',
    byDay: 'Par jour',
    noCategory: '(sans catégorie)',
    footnote: (f) =>
      `Montants aux prix convenus avec ${f.issuer}, hors taxes. Chaque montant est arrondi à l'unité ` +
      `mineure de ${f.currency} (${f.decimals} décimales), la moitié s'éloignant de zéro ; écart ` +
      `d'arrondi du total par rapport aux montants des abonnements : ${f.difference}.`,
  },
  es: {
    title: (m) => `Extracto de consumo de Azure — ${m}`,
    customer: 'Cliente',
    tenant: 'Inquilino',
    period: 'Período de facturación',
    currency: 'Moneda',
    total: 'Total',
    bySubscription: 'Por suscripción',
    byCategory: 'Por categoría de medidor',
    byDay: 'Por día',
    noCategory: '(sin categoría)',
    footnote: (f) =>
      `Importes a los precios acordados con ${f.issuer}, sin impuestos. Cada importe se redondea a la ` +
      `unidad menor de ${f.currency} (${f.decimals} decimales), la mitad alejándose de cero; diferencia ` +
      `de redondeo del total respecto a los importes de las suscripciones: ${f.difference}.`,
  },
  it: {
    title: (m) => `Estratto dei consumi Azure — ${m}`,
    customer: 'Cliente',
    tenant: 'Tenant',
    period: 'Periodo di fatturazione',
    currency: 'Valuta',
    total: 'Totale',
    bySubscription: 'Per sottoscrizione',
    byCategory: 'Per categoria di contatore',
    byDay: 'Per giorno',
    noCategory: '(senza categoria)',
    footnote: (f) =>
      `Importi ai prezzi concordati con ${f.issuer}, al netto delle imposte. Ogni importo è arrotondato ` +
      `all'unità minore di ${f.currency} (${f.decimals} decimali), la metà lontano da zero; differenza di ` +
      `arrotondamento del totale rispetto agli importi delle sottoscrizioni: ${f.difference}.`,
  },
  nl: {
    title: (m) => `Overzicht van Azure-gebruik — ${m}`,
    customer: 'Klant',
    tenant: 'Tenant',
    period: 'Factuurperiode',
    currency: 'Valuta',
    total: 'Totaal',
    bySubscription: 'Per abonnement',
    byCategory: 'Per metercategorie',
    byDay: 'Per dag',
    noCategory: '(geen categorie)',
    footnote: (f) =>
      `Bedragen tegen de met ${f.issuer} overeengekomen prijzen, exclusief belasting. Elk bedrag is ` +
      `afgerond op de kleinste eenheid van ${f.currency} (${f.decimals} decimalen), de helft van nul af; ` +
      `afrondingsverschil van het totaal ten opzichte van de bedragen per abonnement: ${f.difference}.`,
  },
  pt: {
    title: (m) => `Extrato de consumo do Azure — ${m}`,
    customer: 'Cliente',
    tenant: 'Locatário',
    period: 'Período de faturamento',
    currency: 'Moeda',
    total: 'Total',
    bySubscription: 'Por assinatura',
    byCategory: 'Por categoria de medidor',
    byDay: 'Por dia',
    noCategory: '(sem categoria)',
    footnote: (f) =>
      `Valores aos preços acordados com ${f.issuer}, sem impostos. Cada valor é arredondado à unidade ` +
      `menor de ${f.currency} (${f.decimals} casas decimais), a metade para longe de zero; diferença de ` +
      `arredondamento do total em relação aos valores das assinaturas: ${f.difference}.`,
  },
  sv: {
    title: (m) => `Sammanställning av Azure-användning — ${m}`,
    customer: 'Kund',
    tenant: 'Klientorganisation',
    period: 'Faktureringsperiod',
    currency: 'Valuta',
    total: 'Totalt',
    bySubscription: 'Per prenumeration',
    byCategory: 'Per mätarkategori',
    byDay: 'Per dag',
    noCategory: '(ingen kategori)',
    footnote: (f) =>
      `Belopp till de priser som avtalats med ${f.issuer}, exklusive skatt. Varje belopp avrundas till ` +
      `minsta enheten av ${f.currency} (${f.decimals} decimaler), hälften bort från noll; ` +
      `avrundningsdifferens för totalen mot prenumerationernas belopp: ${f.difference}.`,
  },
};

/** The culture a customer's statement is written in (BCP 47). */
export function statementLocale(customer: { currencyLocale: string | null; country: string }): string {
  const culture = customer.currencyLocale ?? cultureOf(customer.country);
  const [language = 'en', region] = culture.split('-');
  return LABELS[language.toLowerCase()] || region === undefined ? culture : `en-${region}`;
}

/** A country's likeliest culture (DE → de-DE, BE → nl-BE); en-US for none or an unknown one. */
function cultureOf(country: string): string {
  if (!/^[A-Za-z]{2}$/.test(country)) return 'en-US';
  const region = country.toUpperCase();
  try {
    return `${new Intl.Locale(`und-${region}`).maximize().language}-${region}`;
  } catch {
    return 'en-US';
  }
}

/** The statement's words in a culture's language (English where there is no text for it). */
export const statementLabels = (locale: string): StatementLabels => LABELS[locale.split('-')[0]!.toLowerCase()] ?? en;
