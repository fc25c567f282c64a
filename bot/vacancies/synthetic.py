"""Fictional but realistic vacancies, generated reproducibly (seeded) from the occupation and
region data: the shipped sample catalogue (bot/data/tools/build_sample_vacancies.py) and
the benchmark's million rows (benchmarks/bench_vacancies.py).

Judgement calls, all ours (see bot/data/SOURCES.md): which jobs are common on Indonesian job
boards and how often; where industries are; wages anchored on approximate 2025 provincial
minimum wages (UMP) and a few industrial-area minimums (UMK), times a factor per job group;
company names built from common Indonesian name words (no real brand on purpose).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from bot.knowledge.catalog import Occupation, Region, catalog
from bot.vacancies.model import VacancyRecord

# -- which jobs, how often -----------------------------------------------------------------

EXCLUDED = frozenset({
    "Perwira TNI", "Bintara TNI", "Tamtama TNI", "Anggota DPRD", "Pejabat Tinggi Pemerintah",
    "Kepala Desa", "Pengurus Serikat Pekerja", "Hakim", "Penyidik Polisi", "Polisi", "Sipir",
    "Petani Subsisten", "Peternak Subsisten", "Pencari Hasil Alam", "Tukang Becak",
    "Kusir Delman", "Pedagang Kaki Lima", "Pemulung", "Pedagang Pasar", "Pemilik Warung",
    "Pedagang Makanan Keliling", "Pemuka Agama", "Petugas Bea Cukai", "Petugas Pajak",
    "Petugas Linmas", "Satpol PP", "Aktor", "Atlet", "Penari", "Petani", "Pekebun",
    "Peternak", "Nelayan", "Tukang Semir Sepatu", "Pengawas Ketenagakerjaan", "Model",
    "Petugas Perizinan", "Pemborong Rumah", "Penjual Online", "Pekerja Serabutan",
    "Pengobat Tradisional", "Kader Kesehatan", "Pemadam Kebakaran",
})  # fmt: skip
COMMON: dict[str, float] = {
    "Operator Mesin Produksi": 10, "Staf Administrasi": 8, "Sales Representative": 7,
    "Kasir": 7, "Satpam": 7, "Kurir": 7, "Operator Jahit": 6, "Helper Gudang": 6,
    "Pramuniaga": 6, "Sopir": 6, "Cleaning Service": 6, "Operator Perakitan": 5,
    "Pekerja Packing": 5, "Buruh Pabrik": 5, "Customer Service": 5,
    "Sales Promotion (SPG/SPB)": 5, "Admin Gudang": 4, "Admin Keuangan": 4,
    "Staf Akuntansi": 4, "Admin Online Shop": 4, "Customer Service Call Center": 4,
    "Kru Restoran Cepat Saji": 4, "Pelayan Restoran": 4, "Juru Masak": 4, "Office Boy": 4,
    "Sopir Truk": 4, "Quality Control": 4, "Staf Pemasaran": 4, "Operator Forklift": 4,
    "Operator Perakitan Elektronik": 4, "Operator Mesin Pengemasan": 4,
    "Operator Produksi Makanan dan Minuman": 4, "Checker Gudang": 3, "Admin HRD": 3,
    "HR Officer": 3, "Admin Sales": 3, "Telemarketing": 3, "Sales Motoris": 3,
    "Cook Helper": 3, "Barista": 3, "Sopir Mobil Box": 3, "Petugas Sortir Paket": 3,
    "Staf Logistik": 3, "Mekanik Mobil": 3, "Mekanik Motor": 3, "Mekanik Mesin Industri": 3,
    "Tukang Las": 3, "Digital Marketing": 3, "IT Support": 3, "Perawat": 3,
    "Merchandiser": 3, "Operator Mesin Plastik": 3, "Teknisi AC": 2, "Tukang Listrik": 2,
    "Software Engineer": 2, "Web Developer": 2, "Programmer": 2, "Desainer Grafis": 2,
    "Asisten Apoteker": 2, "Supervisor Produksi": 2, "Staf PPIC": 2, "Staf Purchasing": 2,
    "Teller Bank": 2, "Account Officer Kredit": 2, "Debt Collector": 2, "Pemanen Sawit": 2,
    "Buruh Perkebunan": 2, "Operator Alat Berat": 2, "Kuli Bangunan": 2,
    "Staf General Affair": 2, "Resepsionis": 2, "Front Office Hotel": 2, "Room Attendant": 2,
    "Caregiver Lansia": 2, "Asisten Rumah Tangga": 2, "Pengasuh Anak": 2, "Penjahit": 2,
    "Guru SD": 1.5, "Guru TK/PAUD": 1.5, "Guru SMA/SMP": 1.5, "Guru Les Privat": 1.5,
    "Bidan": 1.5, "Kepala Gudang": 1.5, "Operator Dump Truck Tambang": 1.5,
    "Mekanik Alat Berat": 1.5, "Apoteker": 1, "Tukang Batu": 1, "Tukang Kayu": 1,
}  # fmt: skip
OTHER_WEIGHT = 0.15

# Other names used as vacancy titles (the rest use the occupation's title).
TITLES: dict[str, tuple[str, ...]] = {
    "Satpam": ("Security", "Security Guard", "Petugas Keamanan"),
    "Sopir": ("Driver", "Driver Operasional"),
    "Staf Administrasi": ("Staf Admin", "Admin Kantor"),
    "Operator Mesin Produksi": ("Operator Produksi", "Production Operator"),
    "Cleaning Service": ("Petugas Kebersihan", "Cleaner"),
    "Kurir": ("Kurir Paket", "Courier"),
    "Sales Representative": ("Sales Executive", "Salesman"),
    "Customer Service": ("Customer Service Officer",),
    "Helper Gudang": ("Staf Gudang", "Warehouse Staff"),
    "Pramuniaga": ("Crew Store", "Shop Assistant"),
    "Kasir": ("Kasir Toko", "Cashier"),
    "Pekerja Packing": ("Staf Packing", "Packer"),
    "Operator Jahit": ("Operator Sewing", "Penjahit Garmen"),
    "Kru Restoran Cepat Saji": ("Crew Restoran",),
    "Pelayan Restoran": ("Waiter/Waitress", "Pramusaji"),
    "Juru Masak": ("Cook", "Koki"),
    "Buruh Pabrik": ("Karyawan Pabrik", "Helper Produksi"),
    "Office Boy": ("Office Boy/Girl",),
    "Quality Control": ("Staf QC", "QC Inspector"),
    "Admin Keuangan": ("Staf Keuangan", "Finance Admin"),
    "Staf Akuntansi": ("Staf Accounting",),
    "Staf Pemasaran": ("Marketing Executive", "Staf Marketing"),
    "Telemarketing": ("Telesales",),
    "Mekanik Mobil": ("Mekanik", "Teknisi Otomotif"),
    "Tukang Las": ("Welder",),
    "Software Engineer": ("Backend Developer", "Software Developer"),
    "Web Developer": ("Frontend Developer",),
    "Sopir Truk": ("Driver Truk",),
    "Operator Forklift": ("Driver Forklift",),
    "IT Support": ("Staf IT", "Helpdesk IT"),
    "HR Officer": ("Staf HRD", "Recruiter"),
}
SUFFIXES = (" Shift", " (Kontrak)", " Senior", " Junior", " - Penempatan {city}", " Area {city}")

# -- industries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    key: str
    described: str  # "perusahaan {described}"
    words: tuple[str, ...]  # last word(s) of a company name
    forms: tuple[str, ...] = ("PT {a} {b} {w}",)


INDUSTRIES = {
    "pabrik": Industry("pabrik", "manufaktur", (
        "Plastik", "Tekstil", "Garmen", "Elektronik", "Otomotif", "Packaging", "Kimia",
        "Logam", "Furnitur", "Manufaktur", "Industri", "Plastindo", "Tekstilindo",
        "Garmindo", "Elektrindo", "Metalindo",
    )),
    "pangan": Industry("pangan", "pengolahan makanan dan minuman", (
        "Pangan", "Food", "Boga", "Snack", "Minuman", "Nusa Pangan",
    )),
    "logistik": Industry("logistik", "logistik dan pengiriman", (
        "Logistik", "Ekspres", "Cargo", "Transportasi", "Distribusi", "Logistindo",
    )),
    "ritel": Industry("ritel", "ritel dan perdagangan", (
        "Retail", "Mart", "Swalayan", "Niaga", "Dagang", "Grosir",
    ), ("PT {a} {b} {w}", "CV {a} {b}", "Toko {a} {b}")),
    "kuliner": Industry("kuliner", "restoran dan kuliner", (
        "Kuliner", "Resto", "Boga", "Kafe",
    ), ("PT {a} {b} {w}", "CV {a} {b}", "Rumah Makan {a} {b}", "Kedai Kopi {a}")),
    "hotel": Industry("hotel", "perhotelan", ("Hotel", "Hospitality", "Resort"), (
        "Hotel {a} {b}", "PT {a} {b} Hospitality", "{a} {b} Resort",
    )),
    "jasa": Industry("jasa", "penyedia jasa keamanan dan kebersihan gedung", (
        "Jasa Keamanan", "Facility Services", "Security Services", "Jasa Kebersihan",
    )),
    "kesehatan": Industry("kesehatan", "layanan kesehatan", ("Medika", "Husada", "Farma"), (
        "RS {a} {w}", "Klinik {a} {b}", "Apotek {a} {b}", "RSIA {a} {w}",
    )),
    "pendidikan": Industry("pendidikan", "pendidikan", ("Edukasi", "Cendekia", "Pendidikan"), (
        "Sekolah {a} {b}", "Yayasan Pendidikan {a} {b}", "Bimbel {a} {w}",
    )),
    "keuangan": Industry("keuangan", "jasa keuangan", ("Finance", "Multifinance", "Artha"), (
        "PT {a} {b} {w}", "PT BPR {a} {b}", "Koperasi Simpan Pinjam {a} {b}",
    )),
    "digital": Industry("digital", "teknologi digital", (
        "Teknologi", "Digital", "Solusi Digital", "Infotama", "Teknologi Indonesia",
    )),
    "konstruksi": Industry("konstruksi", "konstruksi dan properti", (
        "Konstruksi", "Karya", "Bangun", "Properti", "Beton",
    ), ("PT {a} {b} {w}", "CV {a} {b}")),
    "perkebunan": Industry("perkebunan", "perkebunan dan agribisnis", (
        "Agro", "Plantation", "Perkebunan", "Sawit Lestari", "Agrindo",
    )),
    "tambang": Industry("tambang", "pertambangan dan energi", (
        "Mining", "Tambang", "Energi", "Mineral", "Resources",
    )),
    "layanan": Industry("layanan", "jasa layanan perorangan", ("Salon", "Spa", "Tour"), (
        "Salon {a} {b}", "{a} {b} Spa", "PT {a} {b} Tour", "PT {a} {b} Layanan Prima",
    )),
    "rumah": Industry("rumah", "penyalur tenaga kerja rumah tangga", (
        "Penyalur", "Mitra Keluarga", "Jasa Rumah Tangga",
    ), ("Yayasan Penyalur {a} {b}", "PT {a} {b} {w}")),
    "migran": Industry("migran", "penempatan pekerja migran Indonesia (P3MI)", (
        "Penempatan Pekerja", "Tenaga Kerja Internasional", "Manpower",
    )),
}  # fmt: skip
NAME_WORDS = (
    "Maju", "Jaya", "Sentosa", "Abadi", "Makmur", "Sejahtera", "Mandiri", "Karya", "Prima",
    "Utama", "Indah", "Mulia", "Sinar", "Cahaya", "Bintang", "Nusantara", "Persada", "Perkasa",
    "Lestari", "Agung", "Bumi", "Samudra", "Gemilang", "Berkah", "Harapan", "Sukses",
    "Anugerah", "Citra", "Dharma", "Tunas", "Mitra", "Sarana", "Buana", "Cipta", "Daya",
    "Graha", "Inti", "Kencana", "Langgeng", "Mega", "Pratama", "Raya", "Sakti", "Tirta",
    "Wahana", "Sumber", "Surya", "Putra", "Andalan", "Bahtera", "Cemerlang", "Delta",
    "Fajar", "Global", "Hijau", "Insan", "Jasa", "Kurnia", "Lintas", "Mekar", "Nirwana",
    "Pelita", "Rahmat", "Sahabat", "Tiga", "Unggul", "Wijaya", "Bersama", "Setia", "Teguh",
    "Adi", "Bina", "Damai", "Elang", "Harmoni", "Intan", "Kartika", "Lautan", "Murni",
    "Nusa", "Permata", "Rimba", "Sejati", "Tangguh", "Utama", "Visi", "Warna", "Yasa",
)  # fmt: skip


def industry_of(occupation: Occupation) -> str:
    code, title = occupation.isco, occupation.title.lower()
    group, major = code[:2], code[:1]
    if code in ("8111", "8112", "8113", "3117", "3121", "9311", "1322", "2146", "7542"):
        return "tambang"
    if (code == "8332" and "tambang" in title) or (code in ("8342", "7233") and "alat" in title):
        return "tambang"
    if group in ("61", "62", "92") or code in ("1311", "3142", "2132", "6112") or "sawit" in title:
        return "perkebunan"
    if group in ("22", "32") or code in ("1342", "5321", "3256"):
        return "kesehatan"
    if group == "23" or code in ("5312", "1345") or "sekolah" in title:
        return "pendidikan"
    if group in ("25", "35") or code in ("2166", "1330"):
        return "digital"
    if group == "71" or code in ("9312", "9313", "2142", "3112", "3123", "1323", "2161", "2149"):
        return "konstruksi"
    if code in ("9111", "5311", "5322", "5152"):
        return "rumah"
    if group == "54" or code in ("9112", "9123", "9129", "9613", "5153"):
        return "hotel" if "room" in title else "jasa"
    if code in ("4224", "1411", "5151") or "bell" in title:
        return "hotel"
    if group == "94" or code in ("5120", "5131", "5132", "1412", "3434"):
        return "kuliner"
    if group == "51":
        return "layanan"
    if group == "52" or code in ("9334", "1420"):
        return "ritel"
    if code in ("8160", "7512", "7514", "7511", "7513", "8183"):
        return "pangan"
    if group == "83" or code in ("9621", "4323", "4321", "4412", "9333", "1324", "3331"):
        return "logistik"
    if "bank" in title or code in ("3312", "4211", "4213", "4214", "1346", "3321", "3311"):
        return "keuangan"
    if major in ("7", "8") or group == "93" or code in ("3122", "7543", "4322", "2141", "3115"):
        return "pabrik"
    return random.Random(code).choice(("pabrik", "ritel", "logistik", "digital", "keuangan"))


# -- places and wages ----------------------------------------------------------------------

# Approximate 2025 provincial minimum wages (UMP), rupiah a month, rounded; our reading of
# the published figures, not an official table.
UMP: dict[str, int] = {
    "11": 3_685_000, "12": 2_992_000, "13": 2_994_000, "14": 3_508_000, "15": 3_234_000,
    "16": 3_681_000, "17": 2_670_000, "18": 2_893_000, "19": 3_876_000, "21": 3_623_000,
    "31": 5_396_000, "32": 2_191_000, "33": 2_169_000, "34": 2_264_000, "35": 2_305_000,
    "36": 2_905_000, "51": 2_996_000, "52": 2_602_000, "53": 2_328_000, "61": 2_878_000,
    "62": 3_473_000, "63": 3_496_000, "64": 3_579_000, "65": 3_580_000, "71": 3_775_000,
    "72": 2_914_000, "73": 3_657_000, "74": 3_073_000, "75": 3_221_000, "76": 3_104_000,
    "81": 3_141_000, "82": 3_408_000, "91": 4_285_000, "92": 3_614_000, "93": 4_285_000,
    "94": 4_285_000, "95": 4_285_000, "96": 3_614_000,
}  # fmt: skip
# Regency/city minimums well above their province's (industrial areas), approximate.
UMK: dict[str, int] = {
    "3275": 5_690_000, "3216": 5_558_000, "3215": 5_599_000, "3276": 5_195_000,
    "3271": 5_126_000, "3201": 4_877_000, "3214": 4_792_000, "3273": 4_482_000,
    "3204": 3_757_000, "3671": 5_069_000, "3674": 4_974_000, "3603": 4_901_000,
    "3672": 5_128_000, "3604": 4_973_000, "3578": 4_961_000, "3515": 4_870_000,
    "3525": 4_874_000, "3514": 4_863_000, "3516": 4_856_000, "2171": 5_000_000,
    "3374": 3_454_000, "3471": 2_655_000, "5171": 3_298_000, "1271": 3_969_000,
}  # fmt: skip
HUBS = frozenset(UMK) | {"6471", "7371", "1471", "1671", "6472", "3578", "1371", "6171"}
PROVINCE_WEIGHT: dict[str, float] = {
    "31": 12, "32": 16, "33": 9, "35": 12, "36": 6, "34": 2, "12": 4, "51": 2, "21": 2.5,
    "14": 2.5, "16": 2, "64": 2, "73": 2.5, "18": 1.5, "13": 1.2, "11": 1, "15": 1,
    "61": 1.2, "63": 1.2, "71": 1, "72": 1, "52": 1, "53": 0.8,
}  # fmt: skip
INDUSTRY_PROVINCES: dict[str, tuple[str, ...]] = {
    "tambang": ("64", "63", "16", "72", "82", "19", "15", "65", "62", "74", "94"),
    "perkebunan": ("14", "61", "62", "12", "15", "16", "63", "64", "18", "11", "76", "75"),
}
# A wage factor range per ISCO major group (times the local minimum wage).
FACTOR: dict[str, tuple[float, float]] = {
    "1": (2.5, 5.0), "2": (1.5, 3.0), "3": (1.2, 1.8), "4": (1.0, 1.3), "5": (1.0, 1.15),
    "6": (1.0, 1.15), "7": (1.0, 1.3), "8": (1.0, 1.15), "9": (1.0, 1.05), "0": (1.0, 1.5),
}  # fmt: skip
FACTOR_BY_GROUP: dict[str, tuple[float, float]] = {
    "21": (1.5, 3.0), "22": (1.8, 4.0), "23": (1.0, 1.6), "24": (1.3, 2.5), "25": (1.6, 3.5),
    "26": (1.2, 2.2), "83": (1.0, 1.6),
}  # fmt: skip
ABROAD: dict[str, tuple[tuple[str, ...], int, int]] = {
    # country: (cities, monthly wage in rupiah from, to), approximate
    "JP": (("Osaka", "Nagoya", "Tokyo", "Fukuoka"), 17_000_000, 25_000_000),
    "KR": (("Busan", "Gimhae", "Ansan"), 24_000_000, 30_000_000),
    "TW": (("Taichung", "Taoyuan", "Kaohsiung"), 10_000_000, 13_000_000),
    "MY": (("Kuala Lumpur", "Johor Bahru", "Sabah"), 5_000_000, 7_500_000),
    "HK": (("Hong Kong",), 9_000_000, 10_500_000),
    "SG": (("Singapura",), 9_000_000, 12_000_000),
    "SA": (("Riyadh", "Jeddah"), 6_000_000, 8_000_000),
}
ABROAD_TITLES = (
    "Caregiver Lansia", "Perawat", "Operator Mesin Produksi", "Anak Buah Kapal",
    "Asisten Rumah Tangga", "Tukang Las", "Buruh Perkebunan", "Juru Masak", "Pekerja Packing",
)  # fmt: skip
EDUCATION: dict[str, tuple[str, ...]] = {
    "1": ("S1", "S1", "S2"), "2": ("S1", "S1", "D4", "S2"), "3": ("D3", "SMK", "D3", "S1"),
    "4": ("SMA", "SMK", "D3", "SMA"), "5": ("SMA", "SMK", "SMP", "SMA"),
    "6": ("SMP", "SD", "SMA"), "7": ("SMK", "SMA", "SMP"), "8": ("SMA", "SMK", "SMP"),
    "9": ("SD", "SMP", "SMA"), "0": ("SMA",),
}  # fmt: skip

# -- texts ---------------------------------------------------------------------------------

DUTIES: dict[str, tuple[str, ...]] = {
    "1": ("Memimpin dan mengembangkan tim", "Menyusun target, anggaran dan laporan berkala",
          "Berkoordinasi dengan direksi dan bagian lain"),
    "2": ("Menjalankan pekerjaan sesuai bidang keahlian dan standar profesi",
          "Menyusun laporan dan dokumentasi pekerjaan", "Berkoordinasi dengan tim terkait"),
    "3": ("Menjalankan pekerjaan teknis sesuai prosedur",
          "Memeriksa peralatan dan mencatat hasil pekerjaan", "Membantu atasan dan tim"),
    "4": ("Mengerjakan administrasi dan input data harian", "Mengarsipkan dokumen dengan rapi",
          "Membuat laporan untuk atasan", "Melayani pertanyaan dari bagian lain"),
    "5": ("Melayani pelanggan dengan ramah", "Menjaga kebersihan dan kerapian area kerja",
          "Mencapai target pelayanan atau penjualan"),
    "6": ("Merawat tanaman atau ternak sesuai jadwal", "Mencatat hasil kerja harian",
          "Menjaga alat kerja"),
    "7": ("Mengerjakan pekerjaan teknis sesuai gambar dan instruksi kerja",
          "Merawat alat kerja", "Menjaga keselamatan kerja (K3)"),
    "8": ("Mengoperasikan mesin sesuai SOP", "Memeriksa kondisi mesin sebelum bekerja",
          "Mencatat hasil kerja dan melaporkan kendala", "Menjaga keselamatan kerja (K3)"),
    "83": ("Mengemudikan kendaraan atau alat berat dengan aman sesuai SOP",
           "Memeriksa kondisi kendaraan sebelum bekerja", "Mengisi laporan perjalanan harian"),
    "9": ("Mengerjakan tugas harian sesuai arahan atasan",
          "Menjaga kebersihan dan kerapian area kerja", "Bekerja sama dengan tim"),
}  # fmt: skip
DUTIES_BY_TITLE: dict[str, tuple[str, ...]] = {
    "Operator Mesin Produksi": ("Mengoperasikan mesin produksi sesuai SOP",
                                "Memeriksa kualitas hasil produksi",
                                "Mencapai target produksi harian",
                                "Menjaga kebersihan mesin dan area kerja"),
    "Satpam": ("Menjaga keamanan dan ketertiban area perusahaan",
               "Memeriksa tamu, kendaraan dan barang keluar-masuk",
               "Melakukan patroli dan membuat laporan jaga"),
    "Sopir": ("Mengantar barang atau karyawan dengan aman dan tepat waktu",
              "Merawat kebersihan dan kondisi kendaraan", "Mengisi laporan perjalanan"),
    "Kurir": ("Mengantar paket ke alamat pelanggan", "Memastikan bukti terima paket lengkap",
              "Menyetor hasil COD setiap hari"),
    "Kasir": ("Melayani pembayaran pelanggan", "Menghitung dan menyetor uang kas",
              "Menjaga kerapian area kasir"),
    "Staf Administrasi": ("Mengerjakan surat-menyurat dan input data",
                          "Mengarsipkan dokumen", "Membuat laporan administrasi harian"),
    "Sales Representative": ("Menawarkan produk ke pelanggan baru dan lama",
                             "Mencapai target penjualan bulanan",
                             "Membuat laporan kunjungan"),
    "Cleaning Service": ("Membersihkan ruangan, toilet dan area umum",
                         "Menjaga persediaan alat kebersihan", "Bekerja sesuai jadwal shift"),
    "Customer Service": ("Menjawab pertanyaan dan keluhan pelanggan",
                         "Mencatat dan menindaklanjuti keluhan", "Menjaga kepuasan pelanggan"),
    "Helper Gudang": ("Menerima, menyusun dan menyiapkan barang", "Memuat dan membongkar barang",
                      "Menjaga kerapian gudang"),
}  # fmt: skip
BENEFITS = (
    "Gaji pokok sesuai ketentuan", "BPJS Ketenagakerjaan dan BPJS Kesehatan",
    "Tunjangan Hari Raya (THR)", "Uang makan dan transport", "Lembur dibayar",
    "Pelatihan kerja", "Jenjang karier", "Mess untuk karyawan dari luar kota", "Bonus target",
)  # fmt: skip
LICENCE: dict[str, str] = {
    "8322": "Memiliki SIM A aktif", "8332": "Memiliki SIM B1 atau B2 Umum aktif",
    "8331": "Memiliki SIM B2 Umum aktif", "9621": "Memiliki SIM C dan motor sendiri",
    "8344": "Memiliki SIO forklift", "8342": "Memiliki SIO alat berat",
    "3322": "Memiliki SIM C dan kendaraan sendiri",
}  # fmt: skip
SHIFT_GROUPS = frozenset({"81", "82", "54", "93", "91", "51", "83", "75", "72"})


@dataclass(frozen=True)
class _Job:
    occupation: Occupation
    industry: str
    weight: float


@cache
def _jobs() -> tuple[_Job, ...]:
    out = []
    for occupation in catalog().occupations:
        if occupation.title in EXCLUDED:
            continue
        weight = COMMON.get(occupation.title, OTHER_WEIGHT)
        out.append(_Job(occupation, industry_of(occupation), weight))
    return tuple(out)


@cache
def _regencies_by_province() -> dict[str, tuple[tuple[Region, ...], tuple[float, ...]]]:
    out: dict[str, tuple[tuple[Region, ...], tuple[float, ...]]] = {}
    for province in catalog().provinces:
        regions = tuple(r for r in catalog().regencies if r.code.startswith(province.code))
        weights = tuple(
            (5.0 if r.code in HUBS else 1.0) * (3.0 if r.name.startswith("Kota ") else 1.0)
            for r in regions
        )
        out[province.code] = (regions, weights)
    return out


def _title_case(name: str) -> str:
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in name.split())


class Generator:
    """``records(n)`` yields n vacancies; the same seed gives the same vacancies."""

    def __init__(self, seed: int, today: date, source: str = "contoh") -> None:
        self.rnd = random.Random(seed)
        self.today = today
        self.source = source
        self.jobs = _jobs()
        self.job_weights = [j.weight for j in self.jobs]
        self.companies: dict[str, list[tuple[str, bool]]] = {}
        self.provinces = [p.code for p in catalog().provinces]
        self.province_weights = [PROVINCE_WEIGHT.get(p, 0.5) for p in self.provinces]

    def company(self, industry: str) -> tuple[str, bool]:
        """A company of this industry (names recur: a company has several vacancies);
        about one in twelve is a featured company."""
        pool = self.companies.setdefault(industry, [])
        if pool and self.rnd.random() < 0.7:
            return self.rnd.choice(pool)
        spec = INDUSTRIES[industry]
        a, b = self.rnd.sample(NAME_WORDS, 2)
        form = self.rnd.choice(spec.forms)
        name = form.format(a=a, b=b, w=self.rnd.choice(spec.words))
        made = (name, self.rnd.random() < 1 / 12)
        pool.append(made)
        return made

    def province(self, industry: str, forced: str | None) -> str:
        if forced:
            return forced
        if industry in INDUSTRY_PROVINCES and self.rnd.random() < 0.85:
            return self.rnd.choice(INDUSTRY_PROVINCES[industry])
        return self.rnd.choices(self.provinces, self.province_weights)[0]

    def records(self, n: int, *, every_province: int = 0) -> Iterator[VacancyRecord]:
        """``every_province``: first this many vacancies in each of the 38 provinces."""
        forced = [p for p in self.provinces for _ in range(every_province)]
        for i in range(n):
            yield self.record(i, forced[i] if i < len(forced) else None)

    def record(self, i: int, province: str | None = None) -> VacancyRecord:
        rnd = self.rnd
        abroad = province is None and rnd.random() < 0.03
        if abroad:
            occupation = catalog().occupation(rnd.choice(ABROAD_TITLES))
            assert occupation is not None
            job = _Job(occupation, "migran", 1.0)
        else:
            job = rnd.choices(self.jobs, self.job_weights)[0]
        occupation = job.occupation
        code, major = occupation.isco, occupation.isco[:1]
        company, featured = self.company(job.industry)
        if abroad:
            country = rnd.choice(tuple(ABROAD))
            cities, low, high = ABROAD[country]
            city: str | None = rnd.choice(cities)
            regency = province_code = None
            place = f"{city}, {catalog().country(country).name}"  # type: ignore[union-attr]
            wage_min = round(rnd.uniform(low, high) / 100_000) * 100_000
        else:
            country = "ID"
            province_code = self.province(job.industry, province)
            regions, weights = _regencies_by_province()[province_code]
            region = rnd.choices(regions, weights)[0]
            regency, city = region.code, None
            place = region.name
            base = UMK.get(regency, UMP[province_code])
            factor = rnd.uniform(*FACTOR_BY_GROUP.get(code[:2], FACTOR[major]))
            wage_min = round(base * factor / 50_000) * 50_000
        employment = self.employment(major, job.industry)
        if employment == "magang":
            wage_min = round(wage_min * rnd.uniform(0.5, 0.8) / 50_000) * 50_000
        wage_max = round(wage_min * rnd.uniform(1.1, 1.5) / 100_000) * 100_000
        shown = abroad or rnd.random() < 0.75
        title = self.title(occupation, place.removeprefix("Kota ").removeprefix("Kabupaten "))
        if employment == "magang" and "Magang" not in title:
            title = f"Magang {title}" if rnd.random() < 0.5 else f"{title} (Magang)"
        age_max = rnd.choice((25, 27, 30, 30, 35, 35, 40, 45)) if rnd.random() < 0.6 else None
        sex = "semua"
        if code[:2] in ("54", "71", "83", "93") and rnd.random() < 0.4:
            sex = "L"
        elif code in ("5242", "9111", "5311") and rnd.random() < 0.4:
            sex = "P"
        education = rnd.choice(EDUCATION[major])
        friendly = rnd.random() < (0.25 if major in ("2", "3", "4") or code[:2] == "42" else 0.06)
        posted = self.today - timedelta(days=int(rnd.triangular(0, 45, 0)))
        closes = posted + timedelta(days=rnd.choice((14, 21, 30, 30, 45, 60)))
        if closes < self.today:
            closes = self.today + timedelta(days=rnd.randint(3, 30))
        openings = (
            rnd.randint(5, 40)
            if major in ("8", "9") and rnd.random() < 0.5
            else (rnd.randint(1, 5))
        )
        return VacancyRecord(
            source=self.source,
            source_id=f"{self.source[:1].upper()}{i + 1:06d}",
            title=title,
            company=company,
            posted_at=posted,
            occupation_code=code,
            province_code=province_code,
            regency_code=regency,
            city=city,
            country=country,
            openings=openings,
            wage_min=wage_min if shown else None,
            wage_max=wage_max if shown else None,
            employment_type=employment,
            education_min=education,
            age_max=age_max,
            sex=sex,
            disability_friendly=friendly,
            closes_at=closes,
            description=self.description(occupation, job.industry, company, place, openings),
            requirements=self.requirements(occupation, education, age_max, sex, friendly),
            url=None,
            featured=featured,
        )

    def employment(self, major: str, industry: str) -> str:
        r = self.rnd.random()
        if r < 0.05 and major in ("2", "3", "4", "8"):
            return "magang"
        if major in ("1", "2") or industry in ("keuangan", "pendidikan", "kesehatan"):
            return "pkwtt" if r < 0.6 else "pkwt"
        if industry in ("konstruksi", "perkebunan") or major == "9":
            return "harian" if r < 0.35 else "pkwt"
        if r > 0.97:
            return "lainnya"
        return "pkwt" if r < 0.75 else "pkwtt"

    def title(self, occupation: Occupation, place: str) -> str:
        r = self.rnd.random()
        others = TITLES.get(occupation.title, ())
        base = self.rnd.choice(others) if others and r < 0.35 else occupation.title
        if self.rnd.random() < 0.15:
            base += self.rnd.choice(SUFFIXES).format(city=place)
        return _title_case(base)

    def description(
        self, occupation: Occupation, industry: str, company: str, place: str, openings: int
    ) -> str:
        rnd = self.rnd
        duties = (
            DUTIES_BY_TITLE.get(occupation.title)
            or DUTIES.get(occupation.isco[:2])
            or DUTIES[occupation.isco[:1]]
        )
        benefits = rnd.sample(BENEFITS, 3)
        lines = [
            f"{company} adalah perusahaan {INDUSTRIES[industry].described} di {place}. "
            f"Kami membuka kesempatan bagi {openings} orang untuk bergabung sebagai "
            f"{occupation.title}.",
            "",
            "Tugas:",
            *(f"- {d}" for d in duties),
            "",
            "Yang kami tawarkan:",
            *(f"- {b}" for b in benefits),
            "",
            "Proses rekrutmen tidak dipungut biaya apa pun.",
        ]
        if self.source == "contoh":
            lines.append("Ini lowongan contoh: perusahaan dan lowongannya fiktif.")
        return "\n".join(lines)

    def requirements(
        self,
        occupation: Occupation,
        education: str,
        age_max: int | None,
        sex: str,
        friendly: bool,
    ) -> str:
        rnd = self.rnd
        lines = [f"Pendidikan minimal {education}"]
        if age_max:
            lines.append(f"Usia maksimal {age_max} tahun")
        if sex != "semua":
            lines.append("Pria" if sex == "L" else "Wanita")
        lines.append(
            rnd.choice(
                (
                    "Berpengalaman minimal 1 tahun di bidang yang sama",
                    "Lulusan baru dipersilakan melamar",
                    "Berpengalaman lebih disukai",
                )
            )
        )
        if occupation.isco in LICENCE:
            lines.append(LICENCE[occupation.isco])
        if occupation.isco[:2] in SHIFT_GROUPS:
            lines.append("Bersedia bekerja dengan sistem shift")
        lines.append(rnd.choice(("Jujur, disiplin dan bertanggung jawab",
                                 "Teliti dan mampu bekerja dalam tim",
                                 "Sehat jasmani dan rohani")))  # fmt: skip
        if friendly:
            lines.append("Terbuka untuk penyandang disabilitas")
        return "\n".join(f"- {line}" for line in lines)
